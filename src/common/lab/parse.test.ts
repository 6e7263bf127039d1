import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldProblem } from '../errors.js';
import { parseLab, positionInLab, type ParseLabResult } from './parse.js';

/** Nine lines: the machine `box` ends at line 9, so a line added after it is line 10. */
const base = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: demo
spec:
  machines:
    - name: box
      type: container
      image: labhub/shell
`;

function replaceLine(text: string, line: number, replacement: string): string {
  const lines = text.split('\n');
  lines.splice(line - 1, 1, ...(replacement === '' ? [] : [replacement]));
  return lines.join('\n');
}

function ok(text: string) {
  const result = parseLab(text, 'test.yaml');
  if (!result.ok) assert.fail(`expected a valid lab, got:\n${result.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n')}`);
  return result.lab;
}

function problemsOf(result: ParseLabResult): FieldProblem[] {
  if (result.ok) assert.fail('expected problems, the lab is valid');
  return result.problems;
}

describe('valid labs', () => {
  test('a minimal lab gets every default', () => {
    assert.deepEqual(ok(base), {
      name: 'demo',
      title: 'demo',
      description: '',
      tags: [],
      authors: [],
      limits: { timeLimitSeconds: 7200, idleTimeoutSeconds: 1800, maxInstancesPerUser: 1 },
      network: { egress: 'deny' },
      groups: [],
      machines: [
        {
          name: 'box',
          type: 'container',
          image: 'labhub/shell',
          vncPort: null,
          resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 ** 2, diskBytes: null },
          access: ['terminal'],
          env: {},
          credentials: [],
        },
      ],
      instructions: [],
      guide: { gated: false },
    });
  });

  test('the example of docs/architecture.md §8 is valid and normalized', () => {
    const lab = ok(`apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: network-basics            # DNS label, unique
  title: Network basics
  description: Two machines, one private network.
spec:
  limits: { timeLimit: 2h, idleTimeout: 30m, maxInstancesPerUser: 1 }
  network: { egress: deny }
  machines:
    - name: desktop
      type: container
      image: labhub/desktop
      resources: { cpu: 1, memory: 1Gi }
      access: [terminal, desktop, { http: 8080 }]
    - name: router
      type: vm
      disk: { image: tiny }
      resources: { cpu: 1, memory: 256Mi }
      cloudInit: { userData: "…" }
      access: [terminal, desktop]
  instructions:
    - title: Look around
      body: |
        Run \`ip addr\` on the router.
      check: { machine: router, run: "ip link show eth0" }
`);
    assert.equal(lab.title, 'Network basics');
    assert.deepEqual(lab.machines[0], {
      name: 'desktop',
      type: 'container',
      image: 'labhub/desktop',
      vncPort: 5900,
      resources: { cpuMillis: 1000, memoryBytes: 1024 ** 3, diskBytes: null },
      access: ['terminal', 'desktop', { http: 8080 }],
      env: {},
      credentials: [],
    });
    assert.deepEqual(lab.machines[1], {
      name: 'router',
      type: 'vm',
      disk: { source: 'image', image: 'tiny' },
      userData: '…',
      resources: { cpuMillis: 1000, memoryBytes: 256 * 1024 ** 2, diskBytes: null },
      access: ['terminal', 'desktop'],
      env: {},
      credentials: [],
    });
    assert.deepEqual(lab.instructions, [{ title: 'Look around', body: 'Run `ip addr` on the router.\n', check: { machine: 'router', run: 'ip link show eth0', timeoutSeconds: 30 } }]);
  });

  test('every disk source, credentials, env, sizes and an unknown desktop image with vncPort', () => {
    const lab = ok(`apiVersion: labhub.io/v1
kind: Lab
metadata: { name: all-forms, title: All forms, description: x, tags: [a, b] }
spec:
  limits: { timeLimit: 1h30m, idleTimeout: 45s, maxInstancesPerUser: 3 }
  network: { egress: allow }
  machines:
    - { name: a, type: vm, disk: { containerDisk: "quay.io/containerdisks/debian:12" } }
    - { name: b, type: vm, disk: { url: "https://example.org/disk.qcow2" }, resources: { disk: 10Gi } }
    - { name: c, type: vm, disk: { pvc: golden-disk }, credentials: [{ username: root, password: toor }, { username: guest }] }
    - name: d
      type: container
      image: registry.example.org:5000/team/xfce@sha256:${'a'.repeat(64)}
      vncPort: 5901
      access: [desktop, { http: 80 }, { http: 8080 }]
      env: { GREETING: hello, _X1: "42" }
      credentials: { username: learner, password: "1234" }
      resources: { cpu: 500m, memory: 1.5Gi }
    - { name: e, type: container, image: labhub/shell, resources: { cpu: "0.25" }, access: [] }
  instructions:
    - title: Only a title
    - title: Check with timeout
      check: { machine: e, run: "test -f /tmp/x", timeout: 10m }
`);
    assert.deepEqual(lab.limits, { timeLimitSeconds: 5400, idleTimeoutSeconds: 45, maxInstancesPerUser: 3 });
    assert.equal(lab.network.egress, 'allow');
    const [a, b, c, d, e] = lab.machines;
    assert.deepEqual(a?.type === 'vm' && a.disk, { source: 'containerDisk', image: 'quay.io/containerdisks/debian:12' });
    assert.deepEqual(a?.resources, { cpuMillis: 1000, memoryBytes: 1024 ** 3, diskBytes: null }, 'a VM gets 1Gi by default');
    assert.deepEqual(b?.type === 'vm' && b.disk, { source: 'url', url: 'https://example.org/disk.qcow2' });
    assert.equal(b?.resources.diskBytes, 10 * 1024 ** 3);
    assert.deepEqual(c?.type === 'vm' && c.disk, { source: 'pvc', claimName: 'golden-disk' });
    assert.deepEqual(c?.credentials, [{ username: 'root', password: 'toor' }, { username: 'guest' }]);
    assert.equal(d?.type === 'container' && d.vncPort, 5901);
    assert.deepEqual(d?.access, ['desktop', { http: 80 }, { http: 8080 }]);
    assert.deepEqual(d?.env, { GREETING: 'hello', _X1: '42' });
    assert.deepEqual(d?.credentials, [{ username: 'learner', password: '1234' }]);
    assert.deepEqual(d?.resources, { cpuMillis: 500, memoryBytes: 1.5 * 1024 ** 3, diskBytes: null });
    assert.deepEqual(e?.access, [], 'an empty access list stays empty');
    assert.equal(e?.resources.cpuMillis, 250);
    assert.deepEqual(lab.instructions[0], { title: 'Only a title', body: '', check: null });
    assert.equal(lab.instructions[1]?.check?.timeoutSeconds, 600);
  });

  test('labhub images are recognized under their Podman and tagged names', () => {
    for (const image of ['labhub/desktop', 'labhub/desktop:latest', 'localhost/labhub/desktop:1.0', 'docker.io/labhub/desktop']) {
      const lab = ok(replaceLine(replaceLine(base, 9, `      image: ${image}`), 10, '      access: [desktop]\n'));
      assert.equal(lab.machines[0]?.type === 'container' && lab.machines[0].vncPort, 5900, image);
    }
  });
});

interface InvalidCase {
  name: string;
  yaml: string;
  path: string;
  message: string | RegExp;
  line: number;
  column: number;
}

const withLine10 = (line: string) => `${base}${line}\n`;
const asVm = (...lines: string[]) => `${replaceLine(replaceLine(base, 9, ''), 8, '      type: vm')}${lines.map((l) => `${l}\n`).join('')}`;

const invalid: InvalidCase[] = [
  { name: 'a machine name starting with a digit', yaml: replaceLine(base, 7, '    - name: 1box'), path: 'spec.machines[0].name', message: /^must start with a letter/, line: 7, column: 13 },
  { name: 'wrong kind', yaml: replaceLine(base, 2, 'kind: Lav'), path: 'kind', message: 'must be Lab', line: 2, column: 7 },
  { name: 'wrong apiVersion', yaml: replaceLine(base, 1, 'apiVersion: v1'), path: 'apiVersion', message: 'must be labhub.io/v1', line: 1, column: 13 },
  { name: 'name not a DNS label', yaml: replaceLine(base, 4, '  name: Demo_Lab'), path: 'metadata.name', message: /^must be a DNS label/, line: 4, column: 9 },
  { name: 'name too long', yaml: replaceLine(base, 4, `  name: ${'a'.repeat(64)}`), path: 'metadata.name', message: 'must be at most 63 characters long', line: 4, column: 9 },
  { name: 'missing name points at the parent mapping', yaml: replaceLine(base, 4, '  title: Demo'), path: 'metadata.name', message: 'is required', line: 4, column: 3 },
  { name: 'empty metadata', yaml: replaceLine(base, 4, ''), path: 'metadata', message: 'must be a mapping (name: value)', line: 3, column: 1 },
  { name: 'unknown top-level field', yaml: withLine10('specs: {}'), path: 'specs', message: 'is not a known field; did you mean spec?', line: 10, column: 1 },
  { name: 'typo in a machine field', yaml: replaceLine(base, 9, '      imgae: labhub/shell'), path: 'spec.machines[0].imgae', message: 'is not a known field; did you mean image?', line: 9, column: 7 },
  { name: 'a container without image', yaml: replaceLine(base, 9, ''), path: 'spec.machines[0].image', message: 'is required', line: 7, column: 7 },
  { name: 'a machine without type', yaml: replaceLine(base, 8, ''), path: 'spec.machines[0].type', message: 'is required', line: 7, column: 7 },
  { name: 'unknown machine type', yaml: replaceLine(base, 8, '      type: pod'), path: 'spec.machines[0].type', message: 'must be one of: container, vm', line: 8, column: 13 },
  { name: 'unknown access method', yaml: withLine10('      access: [terminal, ssh]'), path: 'spec.machines[0].access[1]', message: 'must be terminal, desktop or {http: PORT}', line: 10, column: 26 },
  { name: 'http port 0', yaml: withLine10('      access: [{ http: 0 }]'), path: 'spec.machines[0].access[0].http', message: 'must be at least 1', line: 10, column: 24 },
  { name: 'http port too high', yaml: withLine10('      access: [terminal, { http: 70000 }]'), path: 'spec.machines[0].access[1].http', message: 'must be at most 65535', line: 10, column: 34 },
  { name: 'http port listed twice', yaml: withLine10('      access: [{ http: 80 }, { http: 80 }]'), path: 'spec.machines[0].access[1].http', message: 'is listed twice (access[0] and access[1])', line: 10, column: 38 },
  { name: 'desktop on labhub/shell', yaml: withLine10('      access: [terminal, desktop]'), path: 'spec.machines[0].access[1]', message: /^needs an image with a desktop: labhub\/shell has none/, line: 10, column: 26 },
  {
    name: 'desktop on an unknown image without vncPort',
    yaml: replaceLine(base, 9, '      image: example.org/xfce:1\n      access: [desktop]'),
    path: 'spec.machines[0].access[0]',
    message: /labhub does not know example\.org\/xfce:1; use labhub\/desktop, or set vncPort/,
    line: 10,
    column: 16,
  },
  { name: 'bad image reference', yaml: replaceLine(base, 9, '      image: "Labhub Shell"'), path: 'spec.machines[0].image', message: /^must be a container image reference/, line: 9, column: 14 },
  { name: 'disk on a container', yaml: withLine10('      disk: { image: tiny }'), path: 'spec.machines[0].disk', message: 'is only allowed on VMs (type: vm)', line: 10, column: 7 },
  { name: 'cloudInit on a container', yaml: withLine10('      cloudInit: { userData: x }'), path: 'spec.machines[0].cloudInit', message: 'is only allowed on VMs (type: vm)', line: 10, column: 7 },
  { name: 'vncPort on a VM', yaml: asVm('      disk: { image: tiny }', '      vncPort: 5900'), path: 'spec.machines[0].vncPort', message: 'is only allowed on containers (type: container)', line: 10, column: 7 },
  { name: 'image on a VM', yaml: asVm('      image: labhub/shell', '      disk: { image: tiny }'), path: 'spec.machines[0].image', message: 'is only allowed on containers (type: container)', line: 9, column: 7 },
  { name: 'a VM without disk', yaml: asVm(), path: 'spec.machines[0].disk', message: 'is required', line: 7, column: 7 },
  { name: 'two disk sources', yaml: asVm('      disk: { image: tiny, url: "https://x/y.qcow2" }'), path: 'spec.machines[0].disk', message: /^must name exactly one disk source/, line: 9, column: 13 },
  { name: 'no disk source', yaml: asVm('      disk: {}'), path: 'spec.machines[0].disk', message: /^must name exactly one disk source/, line: 9, column: 13 },
  { name: 'disk URL not http', yaml: asVm('      disk: { url: "ftp://x/y" }'), path: 'spec.machines[0].disk.url', message: 'must be an http:// or https:// URL', line: 9, column: 20 },
  { name: 'userData not text', yaml: asVm('      disk: { image: tiny }', '      cloudInit: { userData: 5 }'), path: 'spec.machines[0].cloudInit.userData', message: 'must be text: put quotes around it', line: 10, column: 30 },
  {
    name: 'two machines with one name',
    yaml: `${base}    - name: box\n      type: container\n      image: labhub/shell\n`,
    path: 'spec.machines[1].name',
    message: 'is already the name of machine 1 (spec.machines[0])',
    line: 10,
    column: 13,
  },
  { name: 'no machines', yaml: `${base.split('\n').slice(0, 5).join('\n')}\n  machines: []\n`, path: 'spec.machines', message: 'must list at least one item', line: 6, column: 13 },
  {
    name: 'more than 20 machines',
    yaml: `${base}${Array.from({ length: 20 }, (_, i) => `    - { name: m${i}, type: container, image: labhub/shell }\n`).join('')}`,
    path: 'spec.machines',
    message: 'must list at most 20 items',
    line: 7,
    column: 5,
  },
  { name: 'memory without unit', yaml: withLine10('      resources: { memory: 512 }'), path: 'spec.machines[0].resources.memory', message: 'must be a size like 512Mi or 1Gi', line: 10, column: 28 },
  { name: 'memory with milli unit', yaml: withLine10('      resources: { memory: 512m }'), path: 'spec.machines[0].resources.memory', message: 'must be a size like 512Mi or 1Gi', line: 10, column: 28 },
  { name: 'too little memory', yaml: withLine10('      resources: { memory: 8Mi }'), path: 'spec.machines[0].resources.memory', message: 'must be at least 16Mi', line: 10, column: 28 },
  { name: 'zero CPU', yaml: withLine10('      resources: { cpu: 0 }'), path: 'spec.machines[0].resources.cpu', message: 'must be more than 0', line: 10, column: 25 },
  { name: 'CPU in words', yaml: withLine10('      resources: { cpu: 2 cores }'), path: 'spec.machines[0].resources.cpu', message: 'must be a CPU amount like 1, 0.5 or 500m', line: 10, column: 25 },
  { name: 'a fraction of a millicore', yaml: withLine10('      resources: { cpu: 0.0001 }'), path: 'spec.machines[0].resources.cpu', message: 'must be at least 1m (a thousandth of a CPU)', line: 10, column: 25 },
  { name: 'unknown resource', yaml: withLine10('      resources: { gpu: 1 }'), path: 'spec.machines[0].resources.gpu', message: 'is not a known field; did you mean cpu?', line: 10, column: 20 },
  { name: 'unknown machine field', yaml: withLine10('      ports: [80]'), path: 'spec.machines[0].ports', message: 'is not a known field', line: 10, column: 7 },
  { name: 'duration as a number', yaml: withLine10('  limits: { timeLimit: 90 }'), path: 'spec.limits.timeLimit', message: 'must be a duration like 90m, 2h or 1h30m', line: 10, column: 24 },
  { name: 'duration with a space', yaml: withLine10('  limits: { idleTimeout: 2 h }'), path: 'spec.limits.idleTimeout', message: 'must be a duration like 90m, 2h or 1h30m', line: 10, column: 26 },
  { name: 'zero duration', yaml: withLine10('  limits: { timeLimit: 0m }'), path: 'spec.limits.timeLimit', message: 'must be longer than 0s', line: 10, column: 24 },
  { name: 'maxInstancesPerUser 0', yaml: withLine10('  limits: { maxInstancesPerUser: 0 }'), path: 'spec.limits.maxInstancesPerUser', message: 'must be at least 1', line: 10, column: 34 },
  { name: 'maxInstancesPerUser fractional', yaml: withLine10('  limits: { maxInstancesPerUser: 1.5 }'), path: 'spec.limits.maxInstancesPerUser', message: 'must be a whole number', line: 10, column: 34 },
  { name: 'unknown egress', yaml: withLine10('  network: { egress: maybe }'), path: 'spec.network.egress', message: 'must be one of: allow, deny', line: 10, column: 22 },
  { name: 'bad env name', yaml: withLine10('      env: { MY-VAR: x }'), path: 'spec.machines[0].env["MY-VAR"]', message: /^is not a valid environment variable name/, line: 10, column: 14 },
  { name: 'env value not quoted', yaml: withLine10('      env: { PORT: 8080 }'), path: 'spec.machines[0].env.PORT', message: 'must be text: put quotes around it', line: 10, column: 20 },
  { name: 'typo in credentials', yaml: withLine10('      credentials: { username: root, pasword: x }'), path: 'spec.machines[0].credentials.pasword', message: 'is not a known field; did you mean password?', line: 10, column: 38 },
  { name: 'credentials as text', yaml: withLine10('      credentials: root'), path: 'spec.machines[0].credentials', message: 'must be {username, password} or a list of them', line: 10, column: 20 },
  { name: 'tag listed twice', yaml: replaceLine(base, 4, '  name: demo\n  tags: [a, a]'), path: 'metadata.tags[1]', message: 'is listed twice (items 0 and 1 are the same)', line: 5, column: 13 },
  { name: 'step without title', yaml: withLine10('  instructions:\n    - body: hi'), path: 'spec.instructions[0].title', message: 'is required', line: 11, column: 7 },
  {
    name: 'check on an unknown machine',
    yaml: withLine10('  instructions:\n    - title: Try\n      check: { machine: nobox, run: "true" }'),
    path: 'spec.instructions[0].check.machine',
    message: 'names no machine of this lab (its machines: box)',
    line: 12,
    column: 25,
  },
  {
    name: 'check timeout over 10m',
    yaml: withLine10('  instructions:\n    - title: Try\n      check: { machine: box, run: "true", timeout: 1h }'),
    path: 'spec.instructions[0].check.timeout',
    message: 'must be at most 10m',
    line: 12,
    column: 52,
  },
  { name: 'check without run', yaml: withLine10('  instructions:\n    - title: Try\n      check: { machine: box }'), path: 'spec.instructions[0].check.run', message: 'is required', line: 12, column: 14 },
  { name: 'an empty file', yaml: '', path: '(document)', message: 'must be a mapping (name: value)', line: 1, column: 1 },
  { name: 'a list instead of a mapping', yaml: '- a\n- b\n', path: '(document)', message: 'must be a mapping (name: value)', line: 1, column: 1 },
];

describe('invalid labs name the path, the line and the column', () => {
  for (const c of invalid) {
    test(c.name, () => {
      const problems = problemsOf(parseLab(c.yaml, 'test.yaml'));
      const found = problems.find((p) => p.path === c.path && (typeof c.message === 'string' ? p.message === c.message : c.message.test(p.message)));
      assert.ok(found, `no problem ${c.path}: ${String(c.message)} in\n${problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n')}`);
      assert.deepEqual({ line: found.line, column: found.column }, { line: c.line, column: c.column });
    });
  }

  test('a value of the wrong shape is one problem, not one per alternative', () => {
    const problems = problemsOf(parseLab(withLine10('      access: [terminal, ssh]'), 'test.yaml'));
    assert.equal(problems.length, 1);
  });

  test('an unknown machine type hides the other fields\' problems of that machine', () => {
    const problems = problemsOf(parseLab(replaceLine(base, 8, '      type: pod\n      disk: 5'), 'test.yaml'));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['spec.machines[0].type'],
    );
  });

  test('problems come sorted by position, every one of them at once', () => {
    const problems = problemsOf(parseLab(replaceLine(replaceLine(base, 2, 'kind: Lav'), 8, '      type: pod'), 'test.yaml'));
    assert.deepEqual(
      problems.map((p) => [p.line, p.path]),
      [
        [2, 'kind'],
        [8, 'spec.machines[0].type'],
      ],
    );
  });
});

describe('YAML syntax errors carry their own line and column', () => {
  const cases: { name: string; yaml: string; message: string | RegExp; line: number; column: number }[] = [
    { name: 'a tab for indentation', yaml: `${base}      access:\n\t- terminal\n`, message: 'uses a tab for indentation; YAML needs spaces', line: 11, column: 1 },
    { name: 'an unclosed flow list', yaml: `${base}      access: [terminal, desktop\n  instructions: []\n`, message: /^is not valid YAML: Flow sequence .* end with a \]/, line: 11, column: 3 },
    { name: 'a key twice', yaml: 'apiVersion: labhub.io/v1\nkind: Lab\nkind: Lab\n', message: 'a field appears twice in the same mapping', line: 3, column: 1 },
    { name: 'two documents', yaml: `${base}---\nkind: Lab\n`, message: 'holds more than one YAML document; a lab file holds one', line: 10, column: 1 },
    { name: 'a colon inside a plain value', yaml: 'metadata:\n  name: a: b\n', message: /^is not valid YAML: Nested mappings are not allowed in compact mappings/, line: 2, column: 9 },
    { name: 'an unclosed quote', yaml: 'apiVersion: "labhub.io/v1\nkind: Lab\n', message: /^is not valid YAML: Missing closing "quote/, line: 3, column: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const [first, ...rest] = problemsOf(parseLab(c.yaml, 'test.yaml'));
      assert.ok(first);
      assert.equal(first.path, '(yaml)');
      if (typeof c.message === 'string') assert.equal(first.message, c.message);
      else assert.match(first.message, c.message);
      assert.deepEqual({ line: first.line, column: first.column }, { line: c.line, column: c.column });
      assert.ok(rest.every((p) => p.line !== first.line), 'one problem per line');
    });
  }

  test('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    const [problem] = problemsOf(parseLab(bomb, 'bomb.yaml'));
    assert.equal(problem?.path, '(yaml)');
  });

  test('a text over the size limit is refused before parsing', () => {
    const [problem] = problemsOf(parseLab(`${base}# ${'x'.repeat(600 * 1024)}\n`, 'big.yaml'));
    assert.deepEqual(problem, { path: '(document)', message: 'is too large: at most 512 KiB', line: 1, column: 1 });
  });
});

test('an invalid lab still tells its name when it has a valid one', () => {
  const result = parseLab(replaceLine(base, 8, '      type: pod'), 'x.yaml');
  assert.equal(!result.ok && result.name, 'demo');
  const nameless = parseLab(replaceLine(base, 4, '  name: Bad Name'), 'x.yaml');
  assert.equal(!nameless.ok && nameless.name, undefined);
});

test('positionInLab finds a value for problems found after parsing', () => {
  assert.deepEqual(positionInLab(base, ['metadata', 'name']), { line: 4, column: 9 });
  assert.deepEqual(positionInLab(base, ['spec', 'machines', '0', 'image']), { line: 9, column: 14 });
  assert.deepEqual(positionInLab('{{{', ['metadata']), { line: 1, column: 1 });
});
