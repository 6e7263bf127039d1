import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { NormalizedLab } from '../../src/common/lab/normalized.js';
import { ActivityTracker } from '../../src/server/gateway/activity.js';
import { InstanceService } from '../../src/server/instances/instance-service.js';
import { planFor } from '../../src/server/instances/plan.js';
import { Reconciler } from '../../src/server/instances/reconciler.js';
import { newInstanceId } from '../../src/server/runtime/naming.js';
import { InstanceAccessPolicy } from '../../src/server/instances/access.js';
import { QuotaService } from '../../src/server/instances/quotas.js';
import { ShareRepository } from '../../src/server/store/shares.js';
import { InstanceRepository, type InstanceRow } from '../../src/server/store/instances.js';
import { UserRepository } from '../../src/server/store/users.js';
import { freshStore } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { ProcessRuntime } from '../support/process-runtime.js';

const lab: NormalizedLab = {
  name: 'recon',
  title: 'Reconciler test',
  description: '',
  tags: [],
  limits: { timeLimitSeconds: 3600, idleTimeoutSeconds: 600, maxInstancesPerUser: 5 },
  network: { egress: 'deny' },
  groups: [],
  machines: [{ name: 'box', type: 'container', image: 'labhub/shell', vncPort: null, resources: { cpuMillis: 250, memoryBytes: 128 * 1024 * 1024, diskBytes: null }, access: ['terminal'], env: {}, credentials: [] }],
  instructions: [],
};

/**
 * The reconciler, with a clock the test moves. Its decisions are policy: it runs on the process
 * runtime (test/support/process-runtime.ts), whose machines really start, stop and pause.
 */
describe('reconciler', { timeout: 600_000 }, () => {
  let now = Date.now();
  const clock = () => now;
  /** How long the next applies take on the test's clock, as a first start that builds images would. */
  let buildMs = 0;
  const runtime = new (class extends ProcessRuntime {
    override async apply(...args: Parameters<ProcessRuntime['apply']>): Promise<void> {
      now += buildMs;
      return super.apply(...args);
    }
  })();
  const activity = new ActivityTracker(clock);
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let repo: InstanceRepository;
  let service: InstanceService;
  let reconciler: Reconciler;
  let ownerId: string;

  /** The instance's machines as `name:state`, as the runtime finds them (its directories and /proc). */
  const machines = async (id: string) => (await runtime.list()).find((instance) => instance.instanceId === id)?.machines.map((m) => `${m.name}:${m.state}`) ?? [];
  /** Processes that hold a machine (one per running machine): a second one would be a duplicate start. */
  const inits = (id: string) => runtime.processesOf(id).filter((p) => p.init).length;
  const row = async (id: string) => repo.find(id);
  const insert = async (changes: Partial<InstanceRow>): Promise<InstanceRow> => {
    const record: InstanceRow = {
      id: newInstanceId(),
      owner_id: ownerId,
      lab_name: lab.name,
      lab_version: 1,
      lab_snapshot: JSON.stringify(lab),
      desired: 'running',
      status: 'running',
      message: null,
      machines: JSON.stringify([{ name: 'box', type: 'container', state: 'running' }]),
      created_at: now,
      updated_at: now,
      expires_at: null,
      time_allowed_ms: 3600_000,
      time_used_ms: 0,
      clock_started_at: null,
      progress: null,
      ...changes,
    };
    await repo.insert(record);
    return record;
  };
  /** One pass, then whatever it queued. */
  const pass = async (id: string) => {
    await reconciler.tick();
    await service.settled(id);
  };

  const serviceWith = (on: ProcessRuntime) => {
    const users = new UserRepository(fresh.store.db);
    const labs = { resolve: async () => ({ lab, version: 1 }) };
    const access = new InstanceAccessPolicy(new ShareRepository(fresh.store.db), { authorship: async () => undefined });
    const quotas = new QuotaService(fresh.store.db, fresh.store.dialect, { instances: 100, cpuMillis: 100_000, memoryBytes: 1024 ** 4 });
    return new InstanceService(repo, on, labs, users, fresh.store.installation, access, quotas, pino({ level: 'silent' }), clock);
  };

  before(async () => {
    fresh = await freshStore('sqlite');
    repo = new InstanceRepository(fresh.store.db);
    const users = new UserRepository(fresh.store.db);
    ownerId = (await users.create({ username: 'learner', role: 'user', passwordHash: null }))!.id;
    service = serviceWith(runtime);
    reconciler = new Reconciler(service, runtime, activity, fresh.store.installation, pino({ level: 'silent' }), clock, { intervalMs: 3600_000, orphanGraceMs: 60_000 });
  });
  after(async () => {
    await runtime.dispose();
    await fresh.dispose();
  });

  test('an interrupted start is finished: running, with exactly one container', async () => {
    const record = await insert({ status: 'starting', message: 'starting' });
    await pass(record.id);
    assert.equal((await row(record.id))?.status, 'running');
    assert.deepEqual(await machines(record.id), ['box:running']);
    assert.equal(inits(record.id), 1);
    await pass(record.id);
    assert.deepEqual(await machines(record.id), ['box:running'], 'a second pass changes nothing');
    assert.equal(inits(record.id), 1, 'a second pass starts nothing');
  });

  test('an interrupted stop is finished, and an interrupted delete too', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    await repo.update(record.id, { desired: 'stopped', status: 'stopping' });
    await pass(record.id);
    assert.equal((await row(record.id))?.status, 'stopped');
    assert.deepEqual(await machines(record.id), ['box:stopped']);
    await repo.update(record.id, { desired: 'deleted', status: 'deleting' });
    await pass(record.id);
    assert.equal(await row(record.id), undefined);
    assert.deepEqual(await machines(record.id), []);
    assert.deepEqual(runtime.processesOf(record.id), []);
  });

  test('an interrupted pause is finished', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    await repo.update(record.id, { desired: 'paused', status: 'running', message: 'pausing' });
    await pass(record.id);
    assert.equal((await row(record.id))?.status, 'paused');
    assert.deepEqual(await machines(record.id), ['box:paused']);
  });

  test("this installation's workloads that no record owns are removed after the grace period; others' never", async () => {
    const orphan = planFor(fresh.store.installation, newInstanceId(), 'nobody', lab, 1);
    await runtime.apply(orphan);
    await reconciler.tick();
    assert.deepEqual(await machines(orphan.instanceId), ['box:running'], 'kept during the grace period');
    now += 61_000;
    const foreign = planFor('another-installation', newInstanceId(), 'nobody', lab, 1);
    await runtime.apply(foreign);
    await reconciler.tick();
    now += 61_000;
    await reconciler.tick();
    assert.deepEqual(await machines(orphan.instanceId), []);
    assert.deepEqual(await machines(foreign.instanceId), ['box:running'], 'another labhub sharing the engine keeps its workloads');
    await runtime.destroy(foreign.instanceId);
  });

  test('the time limit stops the instance; a start needs time left, which an extension gives', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    now += 3601_000;
    await pass(record.id);
    const stopped = await row(record.id);
    assert.equal(stopped?.status, 'stopped');
    assert.match(stopped?.message ?? '', /time limit/);
    assert.deepEqual(await machines(record.id), ['box:stopped']);
    assert.equal(stopped?.time_used_ms, 3600_000);
    await assert.rejects(service.power(stopped, 'start'), /used all of its time/);
    const extended = await service.extend(stopped);
    const restarted = await service.power(extended, 'start');
    await service.settled(record.id);
    const running = await row(record.id);
    assert.equal(running?.status, 'running');
    assert.equal(running?.expires_at, now + 1800_000, 'half a limit more, counted from the start');
    assert.equal(restarted.status, 'starting');
  });

  test('the clock starts when the machines run: a first start that builds images for ten minutes costs no time', async () => {
    const learner = (await new UserRepository(fresh.store.db).findByUsername('learner'))!;
    buildMs = 600_000;
    try {
      const created = await service.create(learner, lab.name);
      assert.equal(created.expires_at, null, 'no deadline while starting');
      await service.settled(created.id);
      const running = await row(created.id);
      assert.equal(running?.status, 'running');
      assert.equal(running?.expires_at, now + 3600_000, 'the whole limit from the moment the machines run');
    } finally {
      buildMs = 0;
    }
  });

  test('stop and start keep the time used: the deadline does not move forward', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    now += 1200_000;
    await service.power((await row(record.id))!, 'stop');
    await service.settled(record.id);
    now += 5 * 3600_000;
    assert.equal((await row(record.id))?.time_used_ms, 1200_000);
    await service.power((await row(record.id))!, 'start');
    await service.settled(record.id);
    const restarted = await row(record.id);
    assert.equal(restarted?.status, 'running');
    assert.equal(restarted?.expires_at, now + 2400_000, 'what was left, not a new limit');
  });

  test('extending adds half a limit, up to three limits of running time in all, whatever stops and starts come between', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    const startedAt = now;
    let current = await service.extend((await row(record.id))!);
    assert.equal(current.expires_at, startedAt + 3600_000 + 1800_000);
    for (let i = 0; i < 3; i++) current = await service.extend(current);
    assert.equal(current.expires_at, startedAt + 3 * 3600_000);
    await assert.rejects(service.extend(current), /cannot be extended further/);
    now += 3600_000;
    await service.power((await row(record.id))!, 'stop');
    await service.settled(record.id);
    await service.power((await row(record.id))!, 'start');
    await service.settled(record.id);
    await assert.rejects(service.extend((await row(record.id))!), /cannot be extended further/, 'a stop and a start give no new extensions');
    assert.equal((await row(record.id))?.expires_at, now + 2 * 3600_000, 'three limits in all, one of them used');
  });

  test('no input and no connection for the idle timeout stops it; a connection keeps it', async () => {
    const record = await insert({ status: 'starting' });
    await pass(record.id);
    const disconnect = activity.connected(record.id);
    now += 700_000;
    await pass(record.id);
    assert.equal((await row(record.id))?.status, 'running', 'a connected browser keeps it running');
    disconnect();
    now += 599_000;
    await pass(record.id);
    assert.equal((await row(record.id))?.status, 'running', 'not yet idle long enough');
    now += 2_000;
    await pass(record.id);
    const stopped = await row(record.id);
    assert.equal(stopped?.status, 'stopped');
    assert.match(stopped?.message ?? '', /without activity/);
  });

  test('a machine that stops on its own marks the instance failed, with the reason', async () => {
    // Machines of the vanishing variant die on their own; the death reaches the service through observe(), as the reconciler's watch passes it on.
    const vanishing = new ProcessRuntime({ root: runtime.root, variant: { kind: 'vanishing', afterMs: 1000 } });
    const fragile = serviceWith(vanishing);
    const record = await insert({ status: 'starting' });
    const watch = new AbortController();
    const watching = (async () => {
      for await (const observation of vanishing.observe(watch.signal)) await fragile.observed(observation);
    })();
    try {
      fragile.reconcile(record.id);
      await fragile.settled(record.id);
      const failed = await eventually('the instance to be marked failed', () => row(record.id), (seen) => seen?.status === 'failed');
      assert.match(failed?.message ?? '', /Machine "box" killed by SIGKILL unexpectedly/);
      assert.deepEqual(await machines(record.id), ['box:failed']);
    } finally {
      watch.abort();
      await watching;
      await vanishing.close();
    }
  });
});
