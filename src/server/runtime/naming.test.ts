import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { newInstanceId, safeName } from './naming.js';

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

test('valid DNS labels are kept as they are', () => {
  assert.equal(safeName('router'), 'router');
  assert.equal(safeName('a'.repeat(63)), 'a'.repeat(63));
});

test('anything else becomes a slug with a hash', () => {
  assert.match(safeName('Web Server!'), /^web-server--[0-9a-f]{8}$/);
  assert.match(safeName('---'), /^x--[0-9a-f]{8}$/);
  assert.equal(safeName('a'.repeat(64)).length, 63);
});

test('names are always DNS labels within the limit and distinct inputs never collide', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), fc.integer({ min: 12, max: 63 }), (a, b, max) => {
      const na = safeName(a, max);
      const nb = safeName(b, max);
      assert.match(na, dnsLabel);
      assert.ok(na.length <= max);
      if (a !== b) assert.notEqual(na, nb);
    }),
    { numRuns: 2000 },
  );
});

test('a name that looks like a slug is hashed again, so it cannot collide with one', () => {
  const slug = safeName('Web Server!');
  assert.notEqual(safeName(slug), slug);
});

test('instance ids are DNS labels starting with a letter', () => {
  for (let i = 0; i < 200; i++) assert.match(newInstanceId(), /^[a-z][a-z2-7]{11}$/);
});
