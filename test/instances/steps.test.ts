import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A gated lab with every kind of variable: step 3 opens once step 2's check passed (step 1 has none). */
const guidedLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: guided, title: Guided, authors: [teacher] }
spec:
  guide: { gated: true }
  machines:
    - name: web
      type: container
      image: labhub/shell
      resources: { cpu: 250m, memory: 128Mi }
      access: [terminal, { http: 8080 }]
      credentials: [{ username: root }, { username: "admin", password: "s3cret*[x](y)" }]
    - name: db-server
      type: container
      image: labhub/shell
      resources: { cpu: 250m, memory: 128Mi }
  instructions:
    - title: Variables
      body: |
        Hello {{user.username}}: log in as {{credentials.web.2.username}} with {{credentials.web.2.password}} and open {{apps.web.8080}}.

        \`\`\`sh run:web
        ping -c 1 {{machines.db-server.host}}; echo {{credentials.web.2.password}} {{apps.web.8080}}
        \`\`\`

        Templates of your own: \\{{ item }}.
    - title: Make a file
      body: Create /tmp/ready on web.
      check: { machine: web, run: "test -f /tmp/ready" }
    - title: Secret next step
      body: Only after step 2.
      check: { machine: web, run: "true" }
`;

/** Guided steps and their checks on real containers (the demo shell lab's step 2 checks a file). */
describe('guided steps', { timeout: 600_000 }, () => {
  let t: TestApp;
  let runtime: LocalRuntime;
  let ann: string;
  let author: string;
  let shellId: string;
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string) => t.app.inject({ method, url, headers: { cookie } });

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
    // The demo shell lab, naming teacher its author: the lab's authors watch its learners and read their progress (decision 0015).
    const shell = readFileSync(new URL('../../labs/shell.yaml', import.meta.url), 'utf8').replace('\nmetadata:\n', '\nmetadata:\n  authors: [teacher]\n');
    writeFileSync(path.join(labs, 'shell.yaml'), shell);
    writeFileSync(path.join(labs, 'slow-check.yaml'), hangingLab);
    writeFileSync(path.join(labs, 'guided.yaml'), guidedLab);
    runtime = new LocalRuntime({ engineSocket, dataDir });
    t = await testApp('sqlite', { runtime, env: { LABHUB_LABS_DIR: labs } });
    ann = await t.userCookie('ann');
    author = await t.userCookie('teacher', 'author');
    shellId = await startLab('shell');
  });
  after(async () => {
    // Deleting through the API waits for any start still running; destroying behind its back would race it.
    const admin = await t.adminCookie();
    const all = (await inject('GET', '/api/instances', admin)).json().instances as { id: string }[];
    for (const instance of all) await inject('DELETE', `/api/instances/${instance.id}`, admin);
    for (let waited = 0; waited < 120_000 && (await inject('GET', '/api/instances', admin)).json().instances.length > 0; waited += 500) await new Promise((resolve) => setTimeout(resolve, 500));
    for (const instance of all) await runtime.destroy(instance.id);
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
    // The lab's authors may watch a learner's steps, not run their checks; other users may not know the instance.
    assert.equal((await inject('GET', `/api/instances/${shellId}/steps`, author)).statusCode, 200);
    assert.equal((await inject('POST', `/api/instances/${shellId}/steps/2/check`, author)).statusCode, 403);
    assert.equal((await inject('GET', `/api/instances/${shellId}/steps`, await t.userCookie('carl'))).statusCode, 404);
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

  test('variables are filled in for the instance and escaped for where they land', async () => {
    const id = await startLab('guided');
    const list = (await inject('GET', `/api/instances/${id}/steps`, ann)).json();
    const app = `http://labhub.test/apps/${id}/web/8080/`;
    const escaped = (text: string) => text.replace(/[!-/:-@[-\`{-~]/g, '\\$&');
    assert.equal(
      list.steps[0].body,
      `Hello ann: log in as admin with ${escaped('s3cret*[x](y)')} and open ${escaped(app)}.\n\n` +
        `\`\`\`sh run:web\nping -c 1 db-server; echo s3cret*[x](y) ${app}\n\`\`\`\n\nTemplates of your own: {{ item }}.\n`,
    );
    // Bob starts the same lab: the username in his steps is his, never ann's.
    const bob = await t.userCookie('bob');
    const created = await t.app.inject({ method: 'POST', url: '/api/instances', headers: { cookie: bob }, payload: { lab: 'guided' } });
    assert.equal(created.statusCode, 201, created.body);
    const bobs = (await inject('GET', `/api/instances/${created.json().instance.id}/steps`, bob)).json();
    assert.match(bobs.steps[0].body, /^Hello bob:/);
  });

  test('a lab naming variables or run targets it lacks is refused with the path and line', async () => {
    const yaml = guidedLab.replace('{{machines.db-server.host}}', '{{machines.db.host}}').replace('run:web', 'run:nowhere');
    const response = await t.app.inject({ method: 'POST', url: '/api/labs/validate', headers: { cookie: author, origin: 'http://labhub.test' }, payload: { yaml } });
    assert.equal(response.statusCode, 200, response.body);
    const problems = response.json().problems.map((p: { path: string; line: number; message: string }) => [p.path, p.line, p.message.replace(/ \(its machines.*$/, '')]);
    assert.deepEqual(problems, [
      ['spec.instructions[0].body', 22, 'run:nowhere names no machine of this lab'],
      ['spec.instructions[0].body', 23, '{{machines.db.host}} (line 4 of the body) names no machine of this lab'],
    ]);
  });

  test('in a gated lab later steps stay locked until the check before them passes', async () => {
    const id = (await inject('GET', '/api/instances', ann)).json().instances.find((i: { lab: { name: string } }) => i.lab.name === 'guided').id as string;
    const locked = (await inject('GET', `/api/instances/${id}/steps`, ann)).json();
    assert.equal(locked.gated, true);
    assert.deepEqual(
      locked.steps.map((s: { locked: boolean; body: string }) => [s.locked, s.body === '']),
      [
        [false, false],
        [false, false],
        [true, true],
      ],
    );
    const refused = await inject('POST', `/api/instances/${id}/steps/3/check`, ann);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.message, 'Step 3 is locked: pass the check of step 2 first.');

    assert.equal((await inject('POST', `/api/instances/${id}/steps/2/check`, ann)).json().passed, false);
    await runtime.exec({ instanceId: id, machine: 'web' }, ['sh', '-c', 'touch /tmp/ready']);
    assert.equal((await inject('POST', `/api/instances/${id}/steps/2/check`, ann)).json().passed, true);
    const open = (await inject('GET', `/api/instances/${id}/steps`, ann)).json().steps[2];
    assert.deepEqual([open.locked, open.body], [false, 'Only after step 2.']);
    assert.equal((await inject('POST', `/api/instances/${id}/steps/3/check`, ann)).json().passed, true);
  });

  test("authors see each learner's progress; users may not", async () => {
    const progress = await inject('GET', '/api/labs/shell/progress', author);
    assert.equal(progress.statusCode, 200);
    const [learner] = progress.json().learners;
    assert.equal(learner.username, 'ann');
    assert.equal(learner.steps, 3);
    assert.deepEqual(learner.passed.map((p: { number: number }) => p.number), [2]);
    assert.deepEqual([learner.checked, learner.current], [[2], null]);
    assert.deepEqual(progress.json().steps.map((s: { title: string; checked: boolean }) => [s.title, s.checked]), [
      ['Where am I?', false],
      ['Make a file', true],
      ['Read the manual', false],
    ]);
    const guided = (await inject('GET', '/api/labs/guided/progress', author)).json();
    assert.deepEqual(
      guided.learners.map((l: { username: string; current: number | null; status: string }) => [l.username, l.current]),
      [
        ['ann', null],
        ['bob', 2],
      ],
      'ann passed every check; bob is at the first one',
    );
    assert.equal((await inject('GET', '/api/labs/no-such-lab/progress', author)).statusCode, 404);
    assert.equal((await inject('GET', '/api/labs/shell/progress', ann)).statusCode, 403);
  });
});
