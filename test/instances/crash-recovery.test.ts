import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { labelKeys } from '../../src/server/runtime/naming.js';
import { engineSocket, engineWithShellImage } from '../runtime-conformance/local-target.js';

const root = new URL('../..', import.meta.url).pathname;
const password = 'crash-test-password';

/** kill -9 of the real server process in the middle of start, stop and delete; the restarted server converges. */
describe('crash recovery', { timeout: 600_000 }, () => {
  const docker = new Docker({ socketPath: engineSocket });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labhub-crash-'));
  let port: number;
  let server: ChildProcess | undefined;
  let cookie = '';
  const url = () => `http://127.0.0.1:${port}`;

  const start = async () => {
    server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/server/main.ts')], {
      cwd: root,
      env: { ...process.env, LABHUB_PORT: String(port), LABHUB_PUBLIC_URL: url(), LABHUB_DATA_DIR: dataDir, LABHUB_LABS_DIR: path.join(root, 'labs'), LABHUB_ADMIN_PASSWORD: password },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (await fetch(`${url()}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const login = await fetch(`${url()}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    assert.equal(login.status, 200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  const kill9 = async () => {
    const child = server;
    server = undefined;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const api = (method: string, route: string, body?: unknown) =>
    fetch(`${url()}${route}`, { method, headers: { cookie, origin: url(), ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const statusOf = async (id: string) => {
    const response = await api('GET', `/api/instances/${id}`);
    return response.status === 404 ? 'gone' : ((await response.json()) as { instance: { status: string } }).instance.status;
  };
  const waitFor = async (id: string, status: string) => {
    const deadline = Date.now() + 120_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = await statusOf(id);
      if (seen === status) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`instance ${id} is ${seen}, expected ${status}`);
  };
  const workloads = async (id: string) => {
    const filters = { label: [`${labelKeys.instance}=${id}`] };
    return { containers: await docker.listContainers({ all: true, filters }), networks: await docker.listNetworks({ filters }) };
  };

  before(async () => {
    await engineWithShellImage();
    port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    await start();
  });
  after(async () => {
    await kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('killed during start, stop and delete: after each restart it converges, with no orphan and no duplicate', async () => {
    const created = await api('POST', '/api/instances', { lab: 'shell' });
    assert.equal(created.status, 201);
    const { id } = ((await created.json()) as { instance: { id: string } }).instance;
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kill9();
    await start();
    await waitFor(id, 'running');
    let found = await workloads(id);
    assert.equal(found.containers.length, 1, 'exactly one container');
    assert.equal(found.containers[0]?.State, 'running');
    assert.equal(found.networks.length, 1, 'exactly one network');

    assert.equal((await api('POST', `/api/instances/${id}/stop`)).status, 202);
    await kill9();
    await start();
    await waitFor(id, 'stopped');
    found = await workloads(id);
    assert.equal(found.containers.length, 1);
    assert.equal(found.containers[0]?.State, 'exited');

    assert.equal((await api('DELETE', `/api/instances/${id}`)).status, 202);
    await kill9();
    await start();
    await waitFor(id, 'gone');
    found = await workloads(id);
    assert.deepEqual(found.containers, []);
    assert.deepEqual(found.networks, []);
  });
});
