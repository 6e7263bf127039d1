import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { labelKeys } from '../../src/server/runtime/naming.js';
import { readScreen } from '../runtime-conformance/rfb.js';
import { readUntil } from '../runtime-conformance/suite.js';
import { dataDir, engineSocket } from '../runtime-conformance/local-target.js';
import { testApp, type TestApp } from '../support/app.js';

/** POST /api/instances and the power routes, on real Podman with the demo labs. */
describe('instances API on the local runtime', { timeout: 600_000 }, () => {
  let t: TestApp;
  let runtime: LocalRuntime;
  let ann: string;
  let bob: string;
  const docker = new Docker({ socketPath: engineSocket });

  const waitFor = async (id: string, cookie: string, status: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const instance = (await t.app.inject({ method: 'GET', url: `/api/instances/${id}`, headers: { cookie } })).json().instance;
      if (instance.status === status) return instance;
      if (instance.status === 'failed' || Date.now() > deadline) assert.fail(`instance ${id} is ${instance.status} (${instance.message}), expected ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  before(async () => {
    runtime = new LocalRuntime({ engineSocket, dataDir });
    t = await testApp('sqlite', { runtime, env: { LABHUB_LABS_DIR: new URL('../../labs', import.meta.url).pathname } });
    ann = await t.userCookie('ann');
    bob = await t.userCookie('bob');
  });
  after(async () => {
    await t.close();
  });

  test('start the shell lab: 201 at once, then running, with a working terminal', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab: 'shell' } });
    assert.equal(created.statusCode, 201, created.body);
    const { instance } = created.json();
    assert.equal(instance.status, 'starting');
    assert.equal(instance.owner, 'ann');
    assert.deepEqual(instance.machines.map((m: { name: string }) => m.name), ['shell']);
    const running = await waitFor(instance.id, ann, 'running');
    assert.equal(running.machines[0].state, 'running');

    const terminal = await runtime.openTerminal({ instanceId: instance.id, machine: 'shell' }, { cols: 80, rows: 24 });
    terminal.stream.write('echo ok-$((40+2))\r');
    await readUntil(terminal.stream, /ok-42/);
    terminal.stream.destroy();

    const limit = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab: 'shell' } });
    assert.equal(limit.statusCode, 409);
    assert.equal(limit.json().error.code, 'LABHUB_LIMIT_REACHED');
    assert.match(limit.json().error.message, /allows 1 per person/);
    assert.deepEqual(limit.json().error.details, { limit: 'maxInstancesPerUser', max: 1, current: 1, instances: [instance.id] });

    const others = await t.app.inject({ method: 'GET', url: `/api/instances/${instance.id}`, headers: { cookie: bob } });
    assert.equal(others.statusCode, 404, "another user cannot see it");
    const othersStop = await t.app.inject({ method: 'POST', url: `/api/instances/${instance.id}/stop`, headers: { cookie: bob } });
    assert.equal(othersStop.statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/instances', headers: { cookie: bob } })).json().instances.length, 0);

    for (const [action, status] of [['stop', 'stopped'], ['start', 'running'], ['pause', 'paused'], ['resume', 'running'], ['reset', 'running']] as const) {
      const response = await t.app.inject({ method: 'POST', url: `/api/instances/${instance.id}/${action}`, headers: { cookie: ann } });
      assert.equal(response.statusCode, 202, `${action}: ${response.body}`);
      await waitFor(instance.id, ann, status);
    }

    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/instances/${instance.id}`, headers: { cookie: ann } });
    assert.equal(deleted.statusCode, 202);
    const deadline = Date.now() + 60_000;
    while ((await t.app.inject({ method: 'GET', url: `/api/instances/${instance.id}`, headers: { cookie: ann } })).statusCode !== 404) {
      assert.ok(Date.now() < deadline, 'deleted within a minute');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const left = await docker.listContainers({ all: true, filters: { label: [`${labelKeys.instance}=${instance.id}`] } });
    assert.deepEqual(left, []);
  });

  test('the desktop lab runs and its screen answers RFB', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: bob }, payload: { lab: 'desktop' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id } = created.json().instance;
    try {
      const running = await waitFor(id, bob, 'running');
      assert.deepEqual(running.machines[0].access, ['terminal', 'desktop']);
      let banner = '';
      for (let attempt = 0; attempt < 50 && !banner; attempt++) {
        try {
          const vnc = await runtime.openVnc({ instanceId: id, machine: running.machines[0].name });
          banner = await readUntil(vnc, /RFB \d{3}\.\d{3}\n/, 5000);
          vnc.destroy();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      assert.equal(banner, 'RFB 003.008\n');
    } finally {
      await runtime.destroy(id);
    }
  });

  test('the tiny-vm lab runs: its terminal is the serial console, its screen answers RFB, and it stops, starts and resets', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab: 'tiny-vm' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id } = created.json().instance;
    try {
      const running = await waitFor(id, ann, 'running');
      assert.deepEqual(running.machines.map((m: { name: string; type: string; state: string }) => `${m.name}:${m.type}:${m.state}`), ['tiny:vm:running']);
      const ref = { instanceId: id, machine: 'tiny' };
      const terminal = await runtime.openTerminal(ref, { cols: 80, rows: 24 });
      try {
        const answer = readUntil(terminal.stream, /vm-ok-42/);
        terminal.stream.write('echo vm-ok-$((40+2))\r');
        await answer;
      } finally {
        terminal.stream.destroy();
      }
      const vnc = await runtime.openVnc(ref);
      try {
        assert.equal(await readUntil(vnc, /RFB \d{3}\.\d{3}\n/, 5000), 'RFB 003.008\n');
      } finally {
        vnc.destroy();
      }
      for (const [action, status] of [['stop', 'stopped'], ['start', 'running'], ['pause', 'paused'], ['resume', 'running'], ['reset', 'running']] as const) {
        const response = await t.app.inject({ method: 'POST', url: `/api/instances/${id}/${action}`, headers: { cookie: ann } });
        assert.equal(response.statusCode, 202, `${action}: ${response.body}`);
        await waitFor(id, ann, status);
      }
    } finally {
      await runtime.destroy(id);
    }
  });

  test('the network-basics lab (a tiny VM and two containers) runs, and its machines find each other by name', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: bob }, payload: { lab: 'network-basics' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id } = created.json().instance;
    try {
      const running = await waitFor(id, bob, 'running');
      assert.deepEqual(running.machines.map((m: { name: string; state: string }) => `${m.name}:${m.state}`), ['tiny:running', 'shell:running', 'desktop:running']);
      const fromShell = await runtime.exec({ instanceId: id, machine: 'shell' }, ['sh', '-c', 'ping -c1 -W3 tiny']);
      assert.equal(fromShell.exitCode, 0, fromShell.output);
      const terminal = await runtime.openTerminal({ instanceId: id, machine: 'tiny' }, { cols: 80, rows: 24 });
      try {
        const answer = readUntil(terminal.stream, /reached-desktop/);
        terminal.stream.write('ping -c1 -W3 desktop >/dev/null && echo reached-desk""top\r');
        await answer;
      } finally {
        terminal.stream.destroy();
      }
    } finally {
      await runtime.destroy(id);
    }
  });

  test('pause, then resume through the API: the terminal answers and the screen draws again', async () => {
    const cyd = await t.userCookie('cyd');
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: cyd }, payload: { lab: 'desktop' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id } = created.json().instance;
    const ref = { instanceId: id, machine: 'desktop' };
    try {
      await waitFor(id, cyd, 'running');
      for (const [action, status] of [['pause', 'paused'], ['resume', 'running']] as const) {
        const response = await t.app.inject({ method: 'POST', url: `/api/instances/${id}/${action}`, headers: { cookie: cyd } });
        assert.equal(response.statusCode, 202, `${action}: ${response.body}`);
        await waitFor(id, cyd, status);
      }
      const [container] = await docker.listContainers({ all: true, filters: { label: [`${labelKeys.instance}=${id}`] } });
      assert.equal(container?.State, 'running', 'the engine no longer holds the container paused');
      const terminal = await runtime.openTerminal(ref, { cols: 80, rows: 24 });
      try {
        // A computed marker: the echo of the typed command shows "$((40+2))", never "42".
        const answer = readUntil(terminal.stream, /resumed-42/);
        terminal.stream.write('echo resumed-$((40+2))\r');
        await answer;
      } finally {
        terminal.stream.destroy();
      }
      const vnc = await runtime.openVnc(ref);
      try {
        const screen = await readScreen(vnc);
        assert.ok(screen.width > 0 && screen.pixels.length === screen.width * screen.height * 4);
      } finally {
        vnc.destroy();
      }
    } finally {
      await runtime.destroy(id);
    }
  });

  test('bad requests name the field; unknown labs are 404', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: {} });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.details.problems[0].path, 'body.lab');
    const number = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab: 42 } });
    assert.equal(number.statusCode, 400, 'a number is not taken as the name "42"');
    assert.deepEqual(number.json().error.details.problems.map((problem: { path: string }) => problem.path), ['body.lab']);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab: 'no-such-lab' } });
    assert.equal(unknown.statusCode, 404);
    const badAction = await t.app.inject({ method: 'POST', url: '/api/instances/abc/explode', headers: { cookie: ann } });
    assert.equal(badAction.statusCode, 400);
    assert.equal(badAction.json().error.details.problems[0].path, 'params.action');
  });
});
