import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { containerName, labelKeys } from '../../src/server/runtime/naming.js';
import { RuntimeError, type MachineObservation } from '../../src/server/runtime/runtime.js';
import { containerMachine, dataDir, engineSocket, engineWithShellImage, instanceFiles, processesOf, vmMachine } from './local-target.js';
import { plan, readUntil } from './suite.js';

/**
 * Bad input to VM machines of the local runtime: each gives a clear machine error within a
 * bounded time and leaves nothing behind. Plus the local-only details of VMs (cloud-init seed,
 * channels kept out of the file system).
 */
describe('local runtime: VM bad input and details', { timeout: 600_000 }, () => {
  const runtime = new LocalRuntime({ engineSocket, dataDir });
  const docker = new Docker({ socketPath: engineSocket });
  const zeros = path.join(dataDir, 'images', 'labhub-test-zeros.qcow2');
  const leftovers = async (instanceId: string) => {
    const containers = await docker.listContainers({ all: true, filters: { label: [`${labelKeys.instance}=${instanceId}`] } });
    const networks = await docker.listNetworks({ filters: { label: [`${labelKeys.instance}=${instanceId}`] } });
    return [...containers.map((c) => `container ${c.Names[0]}`), ...networks.map((n) => `network ${n.Name}`), ...processesOf(instanceId), ...instanceFiles(instanceId)];
  };

  before(async () => {
    await engineWithShellImage();
    // Make sure tiny is there (built on first use), then register a disk of zeros beside it: it cannot boot.
    const warmup = plan([vmMachine('warmup')]);
    await runtime.apply(warmup);
    await runtime.destroy(warmup.instanceId);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', zeros, '64M']);
  });
  after(async () => {
    rmSync(zeros, { force: true });
    await runtime.close();
  });

  test('a missing disk image is refused by name, naming the machine; nothing is created', async () => {
    const p = plan([containerMachine('ok', 'labhub/shell'), vmMachine('router', { disk: { image: 'nosuch' } })]);
    await assert.rejects(runtime.apply(p), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.kind, 'bad_plan');
      assert.equal(error.machine, 'router');
      assert.match(error.message, /"router".*"nosuch" is not available/);
      return true;
    });
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('an image name that is a path is refused', async () => {
    const p = plan([vmMachine('sneaky', { disk: { image: '../../etc/passwd' } })]);
    await assert.rejects(runtime.apply(p), (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && error.machine === 'sneaky');
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('cluster-only disks (containerDisk, url, pvc) are unsupported here, naming the machine', async () => {
    for (const disk of [{ containerDisk: 'quay.io/x/y:1' }, { url: 'https://example.org/d.qcow2' }, { pvc: 'claim' }]) {
      const p = plan([vmMachine('remote', { disk })]);
      await assert.rejects(runtime.apply(p), (error: unknown) => error instanceof RuntimeError && error.kind === 'unsupported' && error.machine === 'remote' && /only in the Kubernetes runtime/.test(error.message));
      assert.deepEqual(await leftovers(p.instanceId), []);
    }
  });

  test('an unbootable disk fails the machine within a bounded time with a clear message; nothing is left', async () => {
    const p = plan([containerMachine('fine', 'labhub/shell'), vmMachine('dud', { disk: { image: 'labhub-test-zeros' } })]);
    const started = Date.now();
    await assert.rejects(runtime.apply(p), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.kind, 'failed');
      assert.equal(error.machine, 'dud');
      assert.match(error.message, /"dud".*not bootable/);
      return true;
    });
    assert.ok(Date.now() - started < 60_000, `reported after ${Date.now() - started} ms`);
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('a VM whose QEMU dies is reported failed by observe() and list(), with the reason; destroy cleans up', async () => {
    const p = plan([vmMachine('fragile')]);
    await runtime.apply(p);
    const controller = new AbortController();
    const seen: MachineObservation[] = [];
    const watching = (async () => {
      for await (const observation of runtime.observe(controller.signal)) {
        if (observation.instanceId !== p.instanceId) continue;
        seen.push(observation);
        if (observation.state === 'failed' || observation.state === 'stopped') break;
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killed = spawnSync('pkill', ['-KILL', '-f', `qemu-system.*${containerName(p.instanceId, 'fragile')}`]);
      assert.equal(killed.status, 0, 'a QEMU process of the instance was found');
      const deadline = setTimeout(() => controller.abort(), 20_000);
      await watching;
      clearTimeout(deadline);
      const last = seen.at(-1);
      assert.equal(last?.state, 'failed', JSON.stringify(seen));
      assert.match(last?.message ?? '', /QEMU was killed by signal 9/);
      const listed = (await runtime.list()).find((i) => i.instanceId === p.instanceId)?.machines[0];
      assert.equal(listed?.state, 'failed');
      assert.match(listed?.message ?? '', /killed by signal 9/);
    } finally {
      controller.abort();
      await runtime.destroy(p.instanceId);
    }
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('cloud-init user data becomes a NoCloud seed ISO attached to the VM; sockets stay out of the file system', async () => {
    const userData = '#cloud-config\nhostname: seeded\n';
    const p = plan([vmMachine('seeded', { cloudInit: { userData } })]);
    await runtime.apply(p);
    try {
      const seedDir = path.join(dataDir, 'instances', p.instanceId, 'seeded', 'seed');
      assert.equal(readFileSync(path.join(seedDir, 'user-data'), 'utf8'), userData);
      assert.deepEqual(JSON.parse(readFileSync(path.join(seedDir, 'meta-data'), 'utf8')), { 'instance-id': `${p.instanceId}-seeded`, 'local-hostname': 'seeded' });
      const launcher = docker.getContainer(containerName(p.instanceId, 'seeded'));
      const exec = await launcher.exec({ Cmd: ['xorriso', '-indev', '/tmp/labhub-seed.iso', '-pvd_info'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      try {
        assert.match(await readUntil(stream, /Volume Id\s*:\s*cidata/, 10_000), /cidata/);
      } finally {
        stream.destroy();
      }
      // Nothing of the launcher is a directory shared with the host except read-only inputs and the one disk file.
      const mounts = (await launcher.inspect()).Mounts.map((m) => `${m.Destination}:${m.RW ? 'rw' : 'ro'}`).sort();
      assert.deepEqual(mounts, ['/etc/hosts:ro', `${path.join(dataDir, 'images')}:ro`, '/vm/disk.qcow2:rw', '/vm/seed:ro'].sort());
      assert.ok(existsSync(path.join(dataDir, 'instances', p.instanceId, 'seeded', 'disk.qcow2')));
    } finally {
      await runtime.destroy(p.instanceId);
    }
    assert.deepEqual(await leftovers(p.instanceId), []);
  });
});
