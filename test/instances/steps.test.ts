import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { dataDir, engineSocket } from '../runtime-conformance/local-target.js';
import { testApp, type TestApp } from '../support/app.js';

const hangingLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: slow-check, title: Slow check }
spec:
  machines:
    - name: box
      type: container
      image: labhub/shell
      resources: { cpu: 250m, memory: 128Mi }
  instructions:
    - title: Wait forever
      check: { machine: box, run: "echo started; sleep 600", timeout: 2s }
`;

/** Guided steps and their checks on real containers (the demo shell lab's step 2 checks a file). */
describe('guided steps', { timeout: 600_000 }, () => {
  let t: TestApp;
  let runtime: LocalRuntime;
  let ann: string;
  let author: string;
  let shellId: string;
  const inject = (method: 'GET' | 'POST', url: string, cookie: string) => t.app.inject({ method, url, headers: { cookie } });

  const startLab = async (lab: string) => {
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: ann }, payload: { lab } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().instance.id as string;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { status, message } = (await inject('GET', `/api/instances/${id}`, ann)).json().instance;
      if (status === 'running') return id;
      assert.ok(status !== 'failed' && Date.now() < deadline, `${lab}: ${status} ${message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  before(async () => {
    const labs = mkdtempSync(path.join(tmpdir(), 'labhub-steps-'));
    cpSync(new URL('../../labs/shell.yaml', import.meta.url), path.join(labs, 'shell.yaml'));
    writeFileSync(path.join(labs, 'slow-check.yaml'), hangingLab);
    runtime = new LocalRuntime({ engineSocket, dataDir });
    t = await testApp('sqlite', { runtime, env: { LABHUB_LABS_DIR: labs } });
    ann = await t.userCookie('ann');
    author = await t.userCookie('teacher', 'author');
    shellId = await startLab('shell');
  });
  after(async () => {
    for (const instance of (await inject('GET', '/api/instances', ann)).json().instances) await runtime.destroy(instance.id);
    await t.close();
  });

  test('a check fails with its output, passes after the learner acts, and the pass is kept', async () => {
    const before = (await inject('GET', `/api/instances/${shellId}/steps`, ann)).json().steps;
    assert.deepEqual(
      before.map((s: { number: number; check: unknown; passedAt: unknown }) => [s.number, s.check, s.passedAt]),
      [
        [1, null, null],
        [2, { machine: 'shell' }, null],
        [3, null, null],
      ],
    );
    const failing = await inject('POST', `/api/instances/${shellId}/steps/2/check`, ann);
    assert.equal(failing.statusCode, 200);
    assert.equal(failing.json().passed, false);
    assert.match(failing.json().output, /No such file/);

    await runtime.exec({ instanceId: shellId, machine: 'shell' }, ['sh', '-c', 'echo hello > /root/hello.txt']);
    const passing = (await inject('POST', `/api/instances/${shellId}/steps/2/check`, ann)).json();
    assert.deepEqual(passing, { passed: true, output: '', timedOut: false });
    const after = (await inject('GET', `/api/instances/${shellId}/steps`, ann)).json().steps;
    assert.ok(Date.parse(after[1].passedAt) > 0);
  });

  test('steps without a check, unknown steps and other users are refused clearly', async () => {
    assert.equal((await inject('POST', `/api/instances/${shellId}/steps/1/check`, ann)).statusCode, 409);
    assert.equal((await inject('POST', `/api/instances/${shellId}/steps/9/check`, ann)).statusCode, 404);
    const bad = await inject('POST', `/api/instances/${shellId}/steps/zero/check`, ann);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details.problems[0].path, 'params.n');
    assert.equal((await inject('GET', `/api/instances/${shellId}/steps`, author)).statusCode, 404);
  });

  test('a check that hangs times out cleanly', async () => {
    const id = await startLab('slow-check');
    const started = Date.now();
    const result = (await inject('POST', `/api/instances/${id}/steps/1/check`, ann)).json();
    assert.equal(result.passed, false);
    assert.equal(result.timedOut, true);
    assert.match(result.output, /started[\s\S]*did not finish within 2 s/);
    assert.ok(Date.now() - started < 15_000);
    const leftover = await runtime.exec({ instanceId: id, machine: 'box' }, ['sh', '-c', 'ps -eo args | grep -c "[s]leep 600" || true']);
    assert.equal(leftover.output.trim(), '0', 'the timed-out command was killed');
  });

  test("authors see each learner's progress; users may not", async () => {
    const progress = await inject('GET', '/api/labs/shell/progress', author);
    assert.equal(progress.statusCode, 200);
    const [learner] = progress.json().learners;
    assert.equal(learner.username, 'ann');
    assert.equal(learner.steps, 3);
    assert.deepEqual(learner.passed.map((p: { number: number }) => p.number), [2]);
    assert.equal((await inject('GET', '/api/labs/shell/progress', ann)).statusCode, 403);
  });
});
