import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLab } from './parse.js';
import { expandStepText, languageOf, parseVariable, placeholdersIn, runTargetOf, runTargetsIn, type StepVariable } from './step-text.js';

const values = (variable: StepVariable): string | undefined => {
  if (variable.kind === 'username') return 'ann';
  if (variable.kind === 'host') return variable.machine;
  if (variable.kind === 'credential') return variable.field === 'password' ? 'p*ss`<b>[x](y)' : 'root';
  return `http://localhost:8080/apps/i1/${variable.machine}/${variable.port}/`;
};

describe('step text', () => {
  test('variables in prose are escaped so they stay text', () => {
    assert.equal(expandStepText('Log in as {{credentials.web.username}} with {{ credentials.web.password }}.', values), 'Log in as root with p\\*ss\\`\\<b\\>\\[x\\]\\(y\\).');
    assert.equal(expandStepText('Open [the app]({{apps.web.8080}})', values), 'Open [the app](http\\:\\/\\/localhost\\:8080\\/apps\\/i1\\/web\\/8080\\/)');
  });

  test('variables in code are verbatim, on one line, and cannot close their code', () => {
    assert.equal(expandStepText('```sh\nssh {{user.username}}@{{machines.router.host}}\n```\n', values), '```sh\nssh ann@router\n```\n');
    assert.equal(expandStepText('Type `{{credentials.web.password}}` now', values), 'Type `` p*ss`<b>[x](y) `` now');
    assert.equal(expandStepText('`{{user.username}}` and `a`', values), '`ann` and `a`');
    // Inside code a backslash is a character: this span ends at the second backtick, so the variable after it is prose.
    assert.equal(expandStepText('`a\\` {{credentials.web.password}} `b`', values), '`a\\` p\\*ss\\`\\<b\\>\\[x\\]\\(y\\) `b`');
  });

  test('\\{{ is a literal {{, and unknown variables stay as written', () => {
    assert.equal(expandStepText('\\{{ item }} and {{nope.x}}', values), '{{ item }} and {{nope.x}}');
    assert.deepEqual(placeholdersIn('a \\{{ item }}\nb {{user.username}}').map((p) => [p.expression, p.line, p.column]), [['user.username', 1, 2]]);
  });

  test('variables are read strictly', () => {
    assert.deepEqual(parseVariable('credentials.db.2.password'), { kind: 'credential', machine: 'db', index: 1, field: 'password' });
    assert.deepEqual(parseVariable('apps.web.8080'), { kind: 'app', machine: 'web', port: 8080 });
    assert.equal(typeof parseVariable('machines.web.address'), 'string');
    assert.equal(typeof parseVariable('user.password'), 'string');
  });

  test('run targets come from the info string of fenced blocks only', () => {
    assert.deepEqual(runTargetsIn('x `run:no`\n\n```sh run:router\nls\n```\n~~~ run:web\n```run:inside\n~~~\n').map((t) => [t.machine, t.line, t.column]), [
      ['router', 2, 6],
      ['web', 5, 4],
    ]);
    assert.equal(runTargetOf('sh run:router'), 'router');
    assert.equal(languageOf('run:router sh'), 'sh');
    assert.equal(runTargetOf('sh'), undefined);
  });

  test('a lab naming what it lacks is refused at the line of the body', () => {
    const yaml = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: vars }
spec:
  machines:
    - { name: web, type: container, image: labhub/shell, access: [terminal, { http: 8080 }], credentials: { username: root, password: pw } }
    - { name: db, type: container, image: labhub/shell, access: [] }
  instructions:
    - title: One
      body: |
        Fine: {{machines.web.host}} {{apps.web.8080}} {{credentials.web.password}} {{user.username}}
        Wrong: {{machines.ruter.host}}
        {{apps.web.9090}} {{credentials.db.username}} {{what.ever}}

        \`\`\`sh run:db
        ls
        \`\`\`
`;
    const result = parseLab(yaml, 'vars.yaml');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.line, p.column, p.message.slice(0, 40)]),
      [
        ['spec.instructions[0].body', 12, 16, '{{machines.ruter.host}} (line 2 of the b'],
        ['spec.instructions[0].body', 13, 9, '{{apps.web.9090}} (line 3 of the body) n'],
        ['spec.instructions[0].body', 13, 27, '{{credentials.db.username}} (line 3 of t'],
        ['spec.instructions[0].body', 13, 55, '{{what.ever}} (line 3 of the body) is no'],
        ['spec.instructions[0].body', 15, 15, 'run:db names a machine without a termina'],
      ],
    );
  });
});
