import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { labJsonSchema, labJsonSchemaText } from '../../src/common/lab/schema.js';
import { testApp, type TestApp } from '../support/app.js';
import { demoLab, repoRoot } from './helpers.js';

test('docs/lab.schema.json is the schema in src/common/lab (regenerate: npm run schema:lab)', () => {
  assert.equal(readFileSync(path.join(repoRoot, 'docs', 'lab.schema.json'), 'utf8'), labJsonSchemaText());
});

test('the exported schema is plain JSON Schema: a stock Ajv compiles it and agrees on the demo labs', () => {
  // Editors know nothing of our validator: a fresh Ajv that only tolerates the editor keywords stands in for them.
  const ajv = new Ajv({ allErrors: true, discriminator: true });
  ajv.addVocabulary(['errorMessage', 'patternErrorMessage']);
  const validate = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'lab.schema.json'), 'utf8')) as object);
  for (const file of ['shell.yaml', 'desktop.yaml', 'tiny-vm.yaml', 'mixed.yaml']) assert.equal(validate(parse(demoLab(file))), true, file);
  assert.equal(validate({ apiVersion: 'labhub.io/v1', kind: 'Lab', metadata: { name: 'x' }, spec: { machines: [{ name: 'a', type: 'container', disk: { image: 'tiny' } }] } }), false);
});

test('every property in the schema has a description', () => {
  const missing: string[] = [];
  const visit = (schema: unknown, where: string): void => {
    if (!schema || typeof schema !== 'object') return;
    const node = schema as Record<string, unknown>;
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof child.description !== 'string') missing.push(`${where}.${key}`);
      visit(child, `${where}.${key}`);
    }
    for (const key of ['items', 'additionalProperties']) if (typeof node[key] === 'object') visit(node[key], `${where}[]`);
    for (const key of ['anyOf', 'oneOf']) if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((branch) => visit(branch, where));
  };
  visit(labJsonSchema(), '');
  assert.deepEqual(missing, []);
});

describe('GET /api/schema/lab.json', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp('sqlite');
  });
  after(() => t.close());

  test('serves the schema without login', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/schema/lab.json' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.deepEqual(response.json(), labJsonSchema());
  });
});
