import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseLab } from '../../src/common/lab/parse.js';
import { demoLab, repoRoot } from './helpers.js';

function valid(text: string, source: string) {
  const result = parseLab(text, source);
  if (!result.ok) assert.fail(`${source} is not valid:\n${result.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n')}`);
  return result.lab;
}

describe('demo labs', () => {
  const files = readdirSync(path.join(repoRoot, 'labs')).filter((file) => /\.ya?ml$/.test(file));

  test('every file in labs/ is a valid lab, each with its own name', () => {
    assert.ok(files.length >= 4);
    const names = files.map((file) => valid(demoLab(file), file).name);
    assert.equal(new Set(names).size, names.length);
  });

  test('shell: one labhub/shell container with a terminal', () => {
    const lab = valid(demoLab('shell.yaml'), 'shell.yaml');
    assert.deepEqual(
      lab.machines.map((m) => ({ type: m.type, image: m.type === 'container' ? m.image : null, access: m.access })),
      [{ type: 'container', image: 'labhub/shell', access: ['terminal'] }],
    );
  });

  test('desktop: one labhub/desktop container with terminal and desktop', () => {
    const lab = valid(demoLab('desktop.yaml'), 'desktop.yaml');
    assert.deepEqual(
      lab.machines.map((m) => ({ type: m.type, image: m.type === 'container' ? m.image : null, access: m.access, vncPort: m.type === 'container' ? m.vncPort : null })),
      [{ type: 'container', image: 'labhub/desktop', access: ['terminal', 'desktop'], vncPort: 5900 }],
    );
  });

  test('tiny-vm: one VM on the tiny disk with 256Mi, terminal and desktop', () => {
    const lab = valid(demoLab('tiny-vm.yaml'), 'tiny-vm.yaml');
    const [vm] = lab.machines;
    assert.equal(lab.machines.length, 1);
    assert.equal(vm?.type, 'vm');
    assert.deepEqual(vm?.type === 'vm' && vm.disk, { source: 'image', image: 'tiny' });
    assert.equal(vm?.resources.memoryBytes, 256 * 1024 ** 2);
    assert.deepEqual(vm?.access, ['terminal', 'desktop']);
  });

  test('mixed: network-basics with a tiny VM, a shell and a desktop container, and checks on them', () => {
    const lab = valid(demoLab('mixed.yaml'), 'mixed.yaml');
    assert.equal(lab.name, 'network-basics');
    assert.deepEqual(
      lab.machines.map((m) => `${m.name}:${m.type}:${m.type === 'container' ? m.image : m.disk.source === 'image' ? m.disk.image : '?'}`),
      ['tiny:vm:tiny', 'shell:container:labhub/shell', 'desktop:container:labhub/desktop'],
    );
    const checked = lab.instructions.flatMap((step) => (step.check ? [step.check.machine] : []));
    assert.ok(checked.length >= 3);
    assert.ok(lab.instructions.some((step) => /ping -c 3 tiny/.test(step.body)) && lab.instructions.some((step) => /ping -c 3 desktop/.test(step.body)));
  });
});

describe('docs/writing-labs.md', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'writing-labs.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

  test('every complete lab in the guide is valid', () => {
    const complete = blocks.filter((block) => /^(#.*\n)*apiVersion: /.test(block));
    assert.ok(complete.length >= 2, 'the guide shows complete labs');
    complete.forEach((block, index) => valid(block, `writing-labs.md block ${index + 1}`));
  });

  test('documents every field of the schema', () => {
    for (const field of ['apiVersion', 'kind', 'metadata', 'title', 'description', 'tags', 'limits', 'timeLimit', 'idleTimeout', 'maxInstancesPerUser', 'network', 'egress', 'machines', 'type', 'image', 'vncPort', 'disk', 'containerDisk', 'url', 'pvc', 'resources', 'cpu', 'memory', 'access', 'env', 'cloudInit', 'userData', 'credentials', 'instructions', 'body', 'check', 'run', 'timeout']) {
      assert.ok(new RegExp(`\`[^\`\n]*\\b${field}\\b[^\`\n]*\``).test(doc), `the guide does not mention \`${field}\``);
    }
  });
});
