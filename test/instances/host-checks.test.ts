import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { Doctor, hostChecks } from '../../src/server/doctor/doctor.js';
import { engineCheck, runcCheck, vmCheck } from '../../src/server/doctor/checks.js';
import { labelKeys } from '../../src/server/runtime/naming.js';
import { engineSocket } from '../runtime-conformance/local-target.js';
import { testApp, type TestApp } from '../support/app.js';
import { startCniPodman } from '../support/cni-podman.js';

const demoLabs = new URL('../../labs', import.meta.url).pathname;

/**
 * The host checks against a real engine set up like the old install: Podman's API service with
 * its CNI network backend (no aardvark-dns, so lab networks get `dns_enabled: false`). The check
 * must fail with its sentence, and labhub must refuse to start a lab there rather than hand out
 * machines that cannot find each other by name (issue 14).
 */
describe('host checks: an engine whose networks cannot resolve names', { timeout: 300_000 }, () => {
  let dir: string;
  let cni: { socket: string; close(): Promise<void> };
  let cniSocket: string;
  let t: TestApp;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'labhub-doctor-'));
    cni = await startCniPodman();
    cniSocket = cni.socket;
    t = await testApp('sqlite', { env: { LABHUB_LABS_DIR: demoLabs, LABHUB_ENGINE_SOCKET: cniSocket } });
  });

  after(async () => {
    await t?.close();
    await cni?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the network check fails: CNI, no DNS, and the command that fixes it', async () => {
    const checks = await hostChecks({
      localRuntime: { kvm: () => undefined },
      engineSocket: cniSocket,
      dataDir: dir,
      databaseUrl: undefined,
      pingDatabase: async () => {},
      startEngine: false,
    });
    const network = checks.find((check) => check.id === 'network');
    assert.equal(network?.ok, false, JSON.stringify(network));
    assert.match(
      network?.message ?? '',
      /CNI network backend, whose lab networks have no DNS \(dns_enabled: false\): machines of a lab cannot find each other by name/,
    );
    assert.equal(network?.fix, 'bash scripts/setup-engine.sh');
    assert.equal(checks.find((check) => check.id === 'engine')?.ok, true);
  });

  test('starting a lab there is refused with 409 LABHUB_HOST_NOT_READY and that sentence; nothing is created', async () => {
    const cookie = await t.userCookie('ann');
    const response = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie }, payload: { lab: 'shell' } });
    assert.equal(response.statusCode, 409, response.body);
    const { error } = response.json();
    assert.equal(error.code, 'LABHUB_HOST_NOT_READY');
    assert.match(
      error.message,
      /^This lab cannot start on this server: Podman runs its CNI network backend.*An admin can fix it: bash scripts\/setup-engine\.sh\.$/,
    );
    assert.equal(error.details.check, 'network');
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/instances', headers: { cookie } })).json().instances.length, 0);
    const docker = new Docker({ socketPath: engineSocket });
    const owned = await docker.listContainers({
      all: true,
      filters: { label: [`${labelKeys.owner}=ann`, `${labelKeys.installation}=${t.store.installation}`] },
    });
    assert.deepEqual(owned, []);
  });

  test('admins see the failed check at GET /api/admin/doctor; others may not', async () => {
    const report = await t.app.inject({ method: 'GET', url: '/api/admin/doctor', headers: { cookie: await t.adminCookie() } });
    assert.equal(report.statusCode, 200, report.body);
    const body = report.json();
    assert.equal(body.ok, false);
    const network = body.checks.find((check: { id: string }) => check.id === 'network');
    assert.equal(network.ok, false);
    assert.equal(network.fix, 'bash scripts/setup-engine.sh');
    const learner = await t.app.inject({ method: 'GET', url: '/api/admin/doctor', headers: { cookie: await t.userCookie('bob') } });
    assert.equal(learner.statusCode, 403);
  });
});

describe("host checks: the machine's own engine", { timeout: 300_000 }, () => {
  test('netavark with aardvark-dns: the network check passes, with DNS and isolation', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'labhub-doctor-'));
    try {
      const checks = await hostChecks({
        localRuntime: { kvm: () => undefined },
        engineSocket,
        dataDir,
        databaseUrl: undefined,
        pingDatabase: async () => {},
      });
      const network = checks.find((check) => check.id === 'network');
      assert.equal(network?.ok, true, JSON.stringify(network));
      assert.match(network?.message ?? '', /netavark with aardvark-dns: machines resolve each other by name; instance networks are isolated/);
      assert.deepEqual(
        checks.map((check) => check.id),
        ['engine', 'network', 'runc', 'vm', 'images', 'disk', 'database'],
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('host checks: what a failed check refuses', () => {
  let t: TestApp;
  const ok = [
    engineCheck({ reachable: true, socket: '/x.sock', kind: 'podman', name: 'Podman', version: '4.3.1' }),
    runcCheck({ installed: true, version: 'runc 1.1.5' }),
  ];

  before(async () => {
    // No /dev/net/tun: VM labs cannot start, container labs can.
    const doctor = new Doctor(async () => [...ok, vmCheck({ kvmDevice: false, kvm: undefined, tunDevice: false })]);
    t = await testApp('sqlite', { doctor, env: { LABHUB_LABS_DIR: demoLabs, LABHUB_QUOTA_INSTANCES: '10' } });
  });
  after(async () => {
    await t.close();
  });

  test("a VM lab is refused with the VM check's sentence; its fix is in the details", async () => {
    const cookie = await t.userCookie('vera');
    const response = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie }, payload: { lab: 'tiny-vm' } });
    assert.equal(response.statusCode, 409, response.body);
    assert.equal(response.json().error.code, 'LABHUB_HOST_NOT_READY');
    assert.equal(
      response.json().error.message,
      'This lab cannot start on this server: This host has no /dev/net/tun: VMs cannot join their lab network. An admin can fix it: modprobe tun.',
    );
    assert.deepEqual(response.json().error.details, {
      check: 'vm',
      problem: 'This host has no /dev/net/tun: VMs cannot join their lab network',
      fix: 'modprobe tun',
    });
  });
});
