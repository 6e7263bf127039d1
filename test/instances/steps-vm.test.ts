import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { dataDir, engineSocket } from '../runtime-conformance/local-target.js';
import { publicUrl, testApp, type TestApp } from '../support/app.js';
import { eventually } from '../support/eventually.js';

/** A tiny VM has no guest agent: its checks go through its serial console. */
const vmLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: vm-checks, title: VM checks }
spec:
  machines:
    - name: tiny
      type: vm
      disk: { image: tiny }
      resources: { cpu: 1, memory: 256Mi }
      access: [terminal]
  instructions:
    - title: Who is there
      check: { machine: tiny, run: "echo \\"I am $(hostname)\\"; test \\"$(hostname)\\" = tiny" }
    - title: A file that is not there yet
      check: { machine: tiny, run: "cat /root/made-by-learner" }
    - title: Wait forever
      check: { machine: tiny, run: "echo started; sleep 600", timeout: 3s }
    - title: Nothing left behind
      check:
        machine: tiny
        run: |
          if ps | grep -q "[s]leep 600"; then echo "still sleeping"; exit 1; fi
          echo 'multi-line, with a quote: it'"'"'s fine'
`;

describe('guided steps on a VM (through its serial console)', { timeout: 600_000 }, () => {
  let t: TestApp;
  let runtime: LocalRuntime;
  let ann: string;
  let id: string;
  let base: string;
  const started: string[] = [];
  const check = async (n: number, instance = id) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/instances/${instance}/steps/${n}/check`, headers: { cookie: ann } });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { passed: boolean; output: string; timedOut: boolean };
  };
  const startLab = async (lab: string) => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab } });
    assert.equal(created.statusCode, 201, created.body);
    const instance = created.json().instance.id as string;
    started.push(instance);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const { status, message } = (await t.app.inject({ method: 'GET', url: `/api/instances/${instance}`, headers: { cookie: ann } })).json().instance;
      if (status === 'running') return instance;
      assert.ok(status !== 'failed' && Date.now() < deadline, `${lab}: ${status} ${message}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };

  before(async () => {
    const labs = mkdtempSync(path.join(tmpdir(), 'labhub-steps-vm-'));
    writeFileSync(path.join(labs, 'vm-checks.yaml'), vmLab);
    cpSync(new URL('../../labs/mixed.yaml', import.meta.url), path.join(labs, 'mixed.yaml'));
    runtime = new LocalRuntime({ engineSocket, dataDir });
    t = await testApp('sqlite', { runtime, env: { LABHUB_LABS_DIR: labs } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    ann = await t.userCookie('ann');
    id = await startLab('vm-checks');
  });
  after(async () => {
    for (const instance of started) await runtime.destroy(instance);
    await t.close();
  });

  test('a check passes and fails on the VM with its own output, not the echo of what was typed', async () => {
    const passing = await check(1);
    assert.deepEqual(passing, { passed: true, output: 'I am tiny', timedOut: false });
    const failing = await check(2);
    assert.equal(failing.passed, false);
    assert.equal(failing.timedOut, false);
    assert.match(failing.output, /made-by-learner/);
    assert.doesNotMatch(failing.output, /lh[be][0-9a-f]{12}|printf/, 'no marker and no echo in the output');
  });

  test("a check runs while the learner's console is open, and the learner sees it typed there", async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/instances/${id}/machines/tiny/terminal`, { headers: { cookie: ann, origin: publicUrl } });
    let screen = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) screen += data.toString('utf8');
    });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    try {
      ws.send(Buffer.from('echo made > /root/made-by-learner\r'));
      // The learner's command has run once its prompt is back.
      const deadline = Date.now() + 30_000;
      while (!/made-by-learner[^\n]*\n[\s\S]*root@tiny:/.test(screen)) {
        assert.ok(Date.now() < deadline, `the console did not run the learner's command; it shows:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const passing = await check(2);
      assert.deepEqual(passing, { passed: true, output: 'made', timedOut: false });
      assert.match(screen, /sh -c 'cat \/root\/made-by-lear/, 'the check was typed into the shared console');
    } finally {
      ws.close();
    }
  });

  test('a check that hangs times out cleanly and leaves the console usable', async () => {
    const hanging = await check(3);
    assert.equal(hanging.passed, false);
    assert.equal(hanging.timedOut, true);
    assert.match(hanging.output, /^started[\s\S]*did not finish within 3 s/);
    const after = await check(4);
    assert.deepEqual(after, { passed: true, output: "multi-line, with a quote: it's fine", timedOut: false });
    assert.equal((await check(1)).passed, true);
    const steps = (await t.app.inject({ method: 'GET', url: `/api/instances/${id}/steps`, headers: { cookie: ann } })).json().steps;
    assert.deepEqual(
      steps.map((step: { passedAt: string | null }) => step.passedAt !== null),
      [true, true, false, true],
    );
  });

  test("the demo lab's VM step (mixed.yaml, step 3) checks from the VM that it reaches the desktop by name", async () => {
    const mixed = await startLab('network-basics');
    const steps = (await t.app.inject({ method: 'GET', url: `/api/instances/${mixed}/steps`, headers: { cookie: ann } })).json().steps;
    assert.deepEqual(steps[2].check, { machine: 'tiny' });
    assert.match(steps[2].body, /```sh run:tiny\nping -c 3 desktop\n```/);
    const before = await check(3, mixed);
    assert.equal(before.passed, false, 'the step is not done before the learner writes the address');
    // The learner's work, typed into tiny's console: the address ping shows for desktop, into the file.
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/instances/${mixed}/machines/tiny/terminal`, { headers: { cookie: ann, origin: publicUrl } });
    let screen = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) screen += data.toString('utf8');
    });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    try {
      ws.send(Buffer.from("ping -c 1 desktop | sed -n 's/^PING desktop (\\([0-9.]*\\)).*/\\1/p' > /root/desktop-ip.txt; echo written-$((40+2))\r"));
      await eventually("the learner's command on tiny's console", () => screen.slice(-2000), (seen) => /written-42/.test(seen), { timeoutMs: 60_000 });
    } finally {
      ws.close();
    }
    const result = await check(3, mixed);
    assert.equal(result.timedOut, false, result.output);
    assert.equal(result.passed, true, result.output);
  });
});
