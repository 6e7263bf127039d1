import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import WebSocket from 'ws';
import { parseLab } from '../../src/common/lab/parse.js';
import type { NormalizedLab } from '../../src/common/lab/normalized.js';
import type { CheckResult } from '../../src/common/steps.js';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { VmDisks } from '../../src/server/runtime/local/vm/disks.js';
import { containerMachine, dataDir, engineSocket } from '../runtime-conformance/local-target.js';
import { plan, readUntil } from '../runtime-conformance/suite.js';
import { publicUrl, testApp, type TestApp } from '../support/app.js';
import { demoLab, repoRoot } from './helpers.js';

/** The VM disks labhub builds in seconds; any other (the optional `debian`) takes minutes and may not be built here. */
const quickDisks = new Set(['tiny']);

/**
 * The work of each checked step, done the way a learner would (lab → step → machine and command),
 * so that each check is seen to pass once its work is done: a check that can never pass would be
 * as wrong as one that passes at once. The debian lab's work needs its desktop session, so its
 * checks are only run before the work (see standInChecks).
 */
const work: Record<string, Record<number, { machine: string; run: string }>> = {
  shell: { 2: { machine: 'shell', run: 'echo hello > ~/hello.txt' } },
  desktop: { 2: { machine: 'desktop', run: 'echo made on the desktop > /tmp/from-desktop.txt' } },
  'tiny-vm': {
    2: { machine: 'tiny', run: 'ip -4 addr show | awk \'/inet / && !/127\\.0\\.0\\.1/ { split($2, a, "/"); print a[1]; exit }\' > /root/my-ip.txt' },
  },
  'network-basics': {
    1: { machine: 'desktop', run: 'ip -4 -o addr show scope global | awk \'{ split($4, a, "/"); print a[1]; exit }\' > /root/my-ip.txt' },
    2: { machine: 'shell', run: "getent hosts tiny | cut -d ' ' -f 1 > /root/tiny-ip.txt" },
    3: { machine: 'tiny', run: "ping -c 1 -W 3 desktop | sed -n 's/^PING [^(]*(\\([0-9.]*\\)).*/\\1/p' > /root/desktop-ip.txt" },
    4: { machine: 'desktop', run: 'ping -c 1 -W 2 1.1.1.1; echo $? > /root/outside.txt' },
  },
};

/** A check that printed this ran a program the machine does not have: it fails for the wrong reason. */
const missingProgram = /: not found|command not found/;

/**
 * Every demo lab is started and each of its checks is run before any work is done: every one must
 * fail (issue 14: "Network basics" step 2 passed with an empty file, since `"" = ""`). A check that
 * passes here would tell a learner a step is done that they never did.
 */
describe('demo labs: every check fails before its work is done', { timeout: 3_600_000 }, () => {
  const runtime = new LocalRuntime({ engineSocket, dataDir });
  let t: TestApp;
  let cookie: string;
  let base: string;
  const files = readdirSync(path.join(repoRoot, 'labs')).filter((file) => /\.ya?ml$/.test(file));

  before(async () => {
    t = await testApp('sqlite', {
      runtime,
      env: { LABHUB_LABS_DIR: path.join(repoRoot, 'labs'), LABHUB_QUOTA_INSTANCES: '20', LABHUB_QUOTA_CPU: '16', LABHUB_QUOTA_MEMORY: '32Gi' },
    });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    cookie = await t.userCookie('checker');
  });
  after(() => t.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, string>): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url, headers: { cookie, origin: t.config.publicUrl }, ...(payload !== undefined && { payload }) });

  test('every demo lab has checks', () => {
    for (const file of files)
      assert.ok(
        labOf(file).instructions.some((step) => step.check),
        `${file} has no check`,
      );
  });

  for (const file of files) {
    const lab = labOf(file);
    const slowDisks = lab.machines.flatMap((machine) =>
      machine.type === 'vm' && machine.disk.source === 'image' && !quickDisks.has(machine.disk.image) ? [machine.disk.image] : [],
    );

    test(`${lab.name}: started, each check fails before its work is done and passes after it`, async () => {
      // The optional debian disk takes minutes to build, too long to build for this test. When it is
      // built here, the real lab runs; when not, its checks run in a stand-in (see standInChecks),
      // so the test never skips them.
      const missing = slowDisks.filter((image) => new VmDisks(dataDir).base(image) === undefined);
      if (missing.length > 0) return standInChecks(lab, missing);

      const created = await call('POST', '/api/instances', { lab: lab.name });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json<{ instance: { id: string } }>().instance.id;
      try {
        await waitForStatus(id, 'running');
        // A VM's checks are typed into its serial console: first see its shell answer, as a learner would.
        for (const machine of lab.machines) if (machine.type === 'vm') await untilConsoleAnswers({ instanceId: id, machine: machine.name });
        for (const [index, step] of lab.instructions.entries()) {
          if (!step.check) continue;
          const response = await call('POST', `/api/instances/${id}/steps/${index + 1}/check`);
          assert.equal(response.statusCode, 200, response.body);
          const result = response.json<CheckResult>();
          const what = `${lab.name} step ${index + 1} (${step.check.machine}: ${step.check.run})`;
          assert.equal(result.timedOut, false, `${what} timed out: ${result.output}`);
          assert.doesNotMatch(result.output, missingProgram, `${what} ran a program the machine lacks`);
          assert.equal(result.passed, false, `${what} passed before any work: ${result.output}`);
        }
        for (const [index, step] of lab.instructions.entries()) {
          if (!step.check) continue;
          const todo = work[lab.name]?.[index + 1];
          assert.ok(todo, `${lab.name} step ${index + 1}: this test does not know the step's work; add it to \`work\``);
          await doWork(lab, { instanceId: id, machine: todo.machine }, todo.run);
          const result = (await call('POST', `/api/instances/${id}/steps/${index + 1}/check`)).json<CheckResult>();
          assert.equal(result.passed, true, `${lab.name} step ${index + 1} (${step.check.run}) does not pass after its work: ${result.output}`);
        }
      } finally {
        await call('DELETE', `/api/instances/${id}`);
        await waitForGone(id);
      }
    });
  }

  /**
   * A lab's checks without its slow disk: each check runs on a running labhub/desktop container
   * named like the machine — an X desktop with openbox, procps and iproute2, much like the
   * untouched VM. Every check must say no through its own logic: a non-zero status below 126
   * (126 and 127: the shell could not run a program, which the real VM may have). That catches
   * checks true of any running desktop (`pgrep -x openbox` was one) and checks that cannot judge.
   */
  async function standInChecks(lab: NormalizedLab, missing: string[]): Promise<void> {
    console.log(`# ${lab.name}: the ${missing.join(', ')} disk is not built here; its checks run on a labhub/desktop stand-in`);
    const machines = [...new Set(lab.instructions.flatMap((step) => (step.check ? [step.check.machine] : [])))];
    const standIn = plan(
      machines.map((name) => containerMachine(name, 'labhub/desktop', { vncPort: 5900, resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024 } })),
    );
    await runtime.apply(standIn);
    try {
      for (const machine of machines) await untilDesktopRuns({ instanceId: standIn.instanceId, machine });
      for (const [index, step] of lab.instructions.entries()) {
        if (!step.check) continue;
        const result = await runtime.exec({ instanceId: standIn.instanceId, machine: step.check.machine }, ['sh', '-c', step.check.run], { timeoutMs: 30_000 });
        const what = `${lab.name} step ${index + 1} (${step.check.run}) on the stand-in`;
        assert.equal(result.timedOut, false, `${what} timed out`);
        assert.notEqual(result.exitCode, 0, `${what} passed before any work: ${result.output}`);
        assert.ok(result.exitCode < 126, `${what} could not run a program (exit ${result.exitCode}): ${result.output}`);
      }
    } finally {
      await runtime.destroy(standIn.instanceId);
    }
  }

  /** Runs a step's work in a machine: an exec in a container, typed into the serial console of a VM. */
  async function doWork(lab: NormalizedLab, ref: { instanceId: string; machine: string }, run: string): Promise<void> {
    if (lab.machines.find((machine) => machine.name === ref.machine)?.type !== 'vm') {
      const result = await runtime.exec(ref, ['sh', '-c', run]);
      assert.ok(!result.timedOut, `${run} timed out`);
      return;
    }
    // Through the workspace's terminal socket: the checks share that console session (it lingers after them).
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/instances/${ref.instanceId}/machines/${ref.machine}/terminal`, {
      headers: { cookie, origin: publicUrl },
    });
    let screen = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) screen += data.toString('utf8');
    });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    try {
      ws.send(Buffer.from(`${run}; echo work-done-$((40+2))\r`));
      const deadline = Date.now() + 60_000;
      while (!screen.includes('work-done-42')) {
        assert.ok(Date.now() < deadline, `the work did not finish on ${ref.machine}; the console shows:\n${screen.slice(-800)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      ws.close();
    }
  }

  /** The serial console's shell computes an answer (not the echo of the typed line); the session is closed after, so the check can borrow the console. */
  async function untilConsoleAnswers(ref: { instanceId: string; machine: string }): Promise<void> {
    const { stream } = await runtime.openTerminal(ref, { cols: 80, rows: 24 });
    try {
      const answer = readUntil(stream, /console-42/, 180_000);
      stream.write('echo console-$((40+2))\r');
      await answer;
    } finally {
      stream.destroy();
    }
  }

  async function untilDesktopRuns(ref: { instanceId: string; machine: string }): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
      if ((await runtime.exec(ref, ['pgrep', '-x', 'openbox'])).exitCode === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`the stand-in ${ref.machine} never ran its desktop`);
  }

  async function waitForStatus(id: string, status: string): Promise<void> {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const instance = (await call('GET', `/api/instances/${id}`)).json<{ instance: { status: string; message: string | null } }>();
      if (instance.instance.status === status) return;
      if (instance.instance.status === 'failed' || Date.now() > deadline)
        assert.fail(`instance ${id} is ${instance.instance.status} (${instance.instance.message}), expected ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function waitForGone(id: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while ((await call('GET', `/api/instances/${id}`)).statusCode !== 404) {
      if (Date.now() > deadline) assert.fail(`instance ${id} was not deleted within two minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});

function labOf(file: string): NormalizedLab {
  const result = parseLab(demoLab(file), file);
  if (!result.ok) assert.fail(`${file} is not valid`);
  return result.lab;
}
