import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { WatchCache, type CacheEvent } from '../../src/server/runtime/kubernetes/informer.js';
import { KubeApi, type KubeObject, type PatchType } from '../../src/server/runtime/kubernetes/kube-api.js';
import { pathOf, resources } from '../../src/server/runtime/kubernetes/resources.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { dataDir, engineSocket } from './local-target.js';

/** The Kubernetes runtime's watch cache against kube-sim: list, watch, resume, and a fresh list after 410 Gone. */
class CountingApi extends KubeApi {
  lists = 0;
  override request<T>(method: string, path: string, body?: unknown, patchType?: PatchType): Promise<T> {
    if (method === 'GET' && path.startsWith('/api/v1/secrets?')) this.lists++;
    return super.request<T>(method, path, body, patchType);
  }
}

let sim: KubeSim;
let api: CountingApi;
before(async () => {
  sim = await startKubeSim({ dataDir, engineSocket });
  const config = new KubeConfig();
  config.loadFromString(sim.kubeconfig());
  api = new CountingApi(config);
});
after(async () => {
  api.close();
  await sim.close();
});

function secret(name: string, labels: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', labels }, data: {} };
}

function nextEvent(cache: WatchCache<KubeObject>, matches: (event: CacheEvent<KubeObject>) => boolean): Promise<CacheEvent<KubeObject>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error('no such event within 20 s'))), 20_000);
    const stop = cache.subscribe((event) => {
      if (!matches(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

test('the cache lists, follows the watch, and lists again when its version is gone (410)', async () => {
  const create = (name: string, labels: Record<string, string>) => api.request('POST', pathOf(resources.secret, 'default'), secret(name, labels));
  await create('before', { 'watch-test': 'yes' });
  // Watches last one second here, so the cache resumes them often.
  const cache = new WatchCache<KubeObject>(api, resources.secret, 'watch-test', undefined, 1).start();
  try {
    await cache.ready;
    assert.deepEqual(cache.list().map((object) => object.metadata?.name), ['before']);
    assert.equal(api.lists, 1);

    const added = nextEvent(cache, (event) => event.type === 'ADDED' && event.object.metadata?.name === 'first');
    await create('first', { 'watch-test': 'yes' });
    await added;

    // A change the cache does not select moves the store on; compaction then makes the cache's version too old.
    await create('noise', {});
    sim.compact();
    const deadline = Date.now() + 20_000;
    while (api.lists < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(api.lists, 2, 'a resumed watch that got 410 Gone made the cache list again');

    const gone = nextEvent(cache, (event) => event.type === 'DELETED' && event.object.metadata?.name === 'before');
    const second = nextEvent(cache, (event) => event.type === 'ADDED' && event.object.metadata?.name === 'second');
    await api.delete(pathOf(resources.secret, 'default', 'before'));
    await create('second', { 'watch-test': 'yes' });
    await Promise.all([gone, second]);
    assert.deepEqual(cache.list().map((object) => object.metadata?.name).sort(), ['first', 'second']);
  } finally {
    cache.close();
  }
});
