import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseLab, type ParseLabResult } from './parse.js';

/** What every answer of parseLab looks like, whatever it was given. */
function assertWellFormed(result: ParseLabResult): void {
  assert.equal(typeof result.ok, 'boolean');
  if (result.ok) {
    assert.ok(result.lab.machines.length >= 1 && result.lab.machines.length <= 20);
    assert.equal(new Set(result.lab.machines.map((m) => m.name)).size, result.lab.machines.length, 'machine names are unique');
    return;
  }
  assert.ok(result.problems.length >= 1 && result.problems.length <= 100);
  for (const problem of result.problems) {
    assert.equal(typeof problem.path, 'string');
    assert.ok(problem.message.length > 0);
    if (problem.line !== undefined) assert.ok(Number.isInteger(problem.line) && problem.line >= 1);
    if (problem.column !== undefined) assert.ok(Number.isInteger(problem.column) && problem.column >= 1);
  }
}

const validLab = {
  apiVersion: 'labhub.io/v1',
  kind: 'Lab',
  metadata: { name: 'prop', title: 'Property', tags: ['a'] },
  spec: {
    limits: { timeLimit: '1h', idleTimeout: '10m', maxInstancesPerUser: 2 },
    network: { egress: 'deny' },
    machines: [
      { name: 'c', type: 'container', image: 'labhub/desktop', resources: { cpu: '500m', memory: '512Mi' }, access: ['terminal', 'desktop', { http: 80 }], env: { A: 'b' } },
      { name: 'v', type: 'vm', disk: { image: 'tiny' }, cloudInit: { userData: '#cloud-config' }, credentials: { username: 'root' } },
    ],
    instructions: [{ title: 'One', body: 'x', check: { machine: 'v', run: 'true', timeout: '30s' } }],
  },
};

/** Every path into validLab, as key lists. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Array.isArray(value) ? value.map((item, index) => pathsOf(item, [...prefix, index])) : Object.entries(value).map(([key, item]) => pathsOf(item, [...prefix, key]));
  return [prefix, ...children.flat()];
}

function replaced(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[head as string] = replaced(copy[head as string], rest, replacement);
  return copy;
}

test('the valid base of the mutations is valid', () => {
  assert.equal(parseLab(stringify(validLab), 'base').ok, true);
});

test('arbitrary strings never make parseLab throw', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => assertWellFormed(parseLab(text, 'fuzz'))),
    { numRuns: 500 },
  );
});

test('YAML-looking token soup never makes parseLab throw', () => {
  const token = fc.constantFrom('apiVersion:', 'kind: Lab', 'metadata:', 'spec:', 'machines:', '- ', '  ', '\n', '\t', '[', ']', '{', '}', ': ', ', ', '&a ', '*a', '!!str ', '!!map ', '"', "'", '#', '---', '...', '? ', '|', '>', 'name: x', 'type: vm', '<<: *a', '%YAML 1.2\n');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 60 }), (tokens) => assertWellFormed(parseLab(tokens.join(''), 'soup'))),
    { numRuns: 1000 },
  );
});

test('arbitrary JSON values, as JSON or YAML text, never make parseLab throw', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (value, asYaml) => assertWellFormed(parseLab(asYaml ? stringify(value) : JSON.stringify(value) ?? 'null', 'json'))),
    { numRuns: 500 },
  );
});

test('a valid lab with any one value replaced by an arbitrary one gives ok or problems, never throws', () => {
  const paths = pathsOf(validLab);
  fc.assert(
    fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), (path, value) => assertWellFormed(parseLab(stringify(replaced(validLab, path, value)), 'mutant'))),
    { numRuns: 1000 },
  );
});
