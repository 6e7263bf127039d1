import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { createRuntime } from '../../src/server/runtime/create-runtime.js';
import { KubeApi } from '../../src/server/runtime/kubernetes/kube-api.js';
import { KubeRuntime } from '../../src/server/runtime/kubernetes/kube-runtime.js';
import { pathOf, resources } from '../../src/server/runtime/kubernetes/resources.js';
import { kubeNamespaceName } from '../../src/server/runtime/naming.js';
import { RuntimeError, type Runtime } from '../../src/server/runtime/runtime.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { containerMachine, dataDir, engineSocket, vmMachine } from './local-target.js';
import { plan } from './suite.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

/** The Kubernetes runtime refuses bad plans clearly and leaves nothing behind (against kube-sim). */
let sim: KubeSim;
let runtime: KubeRuntime;
const api = () => {
  const config = new KubeConfig();
  config.loadFromString(sim.kubeconfig());
  return new KubeApi(config);
};

before(async () => {
  sim = await startKubeSim({ dataDir, engineSocket });
  runtime = new KubeRuntime({ api: api(), settings: { imageRegistry: 'registry.labhub.test', labhubNamespace: 'labhub' } });
});
after(async () => {
  await runtime.close();
  await sim.close();
});

async function namespaceExists(instanceId: string): Promise<boolean> {
  const client = api();
  try {
    return (await client.get(pathOf(resources.namespace, undefined, kubeNamespaceName(instanceId)))) !== undefined;
  } finally {
    client.close();
  }
}

test('labhub\'s own images without LABHUB_KUBE_IMAGE_REGISTRY: bad_plan naming the machine and the setting, nothing created', async () => {
  const unset = new KubeRuntime({ api: api(), settings: { imageRegistry: undefined, labhubNamespace: 'labhub' } });
  const bad = plan([containerMachine('shell', 'labhub/shell')]);
  try {
    await assert.rejects(unset.apply(bad), (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && error.machine === 'shell' && /LABHUB_KUBE_IMAGE_REGISTRY/.test(error.message));
    assert.equal(await namespaceExists(bad.instanceId), false);
  } finally {
    await unset.close();
  }
});

test('a plan without machines or with a name twice is refused before anything is made', async () => {
  const empty = plan([]);
  await assert.rejects(runtime.apply(empty), (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan');
  const twice = plan([containerMachine('same', 'labhub/shell'), containerMachine('same', 'labhub/shell')]);
  await assert.rejects(runtime.apply(twice), (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && /same/.test(error.message));
  assert.equal(await namespaceExists(twice.instanceId), false);
});

test('a VM whose disk cannot be imported fails, naming the machine, and its namespace is removed', async () => {
  // kube-sim accepts http sources but does not fetch them: the DataVolume fails, as an unreachable URL would.
  const failing = plan([vmMachine('remote', { disk: { url: 'https://disks.example.org/unreachable.qcow2' } })]);
  await assert.rejects(runtime.apply(failing), (error: unknown) => error instanceof RuntimeError && error.kind === 'failed' && error.machine === 'remote' && /importing the disk failed/.test(error.message));
  assert.equal(await namespaceExists(failing.instanceId), false);
  assert.equal((await runtime.list()).find((instance) => instance.instanceId === failing.instanceId), undefined);
});

test('terminals, screens and ports of unknown machines are not_found; destroying nothing succeeds', async () => {
  const ref = { instanceId: 'nosuchinstance', machine: 'ghost' };
  for (const attempt of [runtime.openTerminal(ref, { cols: 80, rows: 24 }), runtime.openVnc(ref), runtime.openPort(ref, 80), runtime.exec(ref, ['true'])]) {
    await assert.rejects(attempt, (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found');
  }
  await assert.rejects(runtime.setPower('nosuchinstance', 'stopped'), (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found');
  await runtime.destroy('nosuchinstance');
});

test('LABHUB_RUNTIME=kubernetes finds the cluster through KUBECONFIG', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-kubeconfig-'));
  const file = path.join(dir, 'config');
  writeFileSync(file, sim.kubeconfig());
  const previous = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  let created: Runtime | undefined;
  try {
    created = createRuntime(loadConfig({ LABHUB_RUNTIME: 'kubernetes', LABHUB_KUBE_IMAGE_REGISTRY: 'registry.labhub.test' }, dir), pino({ level: 'silent' }) as unknown as FastifyBaseLogger);
    assert.equal(created.name, 'kubernetes');
    assert.ok(Array.isArray(await created.list()));
  } finally {
    if (previous === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previous;
    await created?.close();
  }
});
