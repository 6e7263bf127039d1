import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

test('hashes with argon2id and verifies only the right password', async () => {
  const hashed = await hashPassword('correct horse battery');
  assert.match(hashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(hashed, 'correct horse battery'), true);
  assert.equal(await verifyPassword(hashed, 'correct horse battery!'), false);
});

test('the same password hashes differently each time (salted)', async () => {
  assert.notEqual(await hashPassword('same password'), await hashPassword('same password'));
});

test('a missing or corrupt hash never verifies', async () => {
  assert.equal(await verifyPassword(null, 'anything'), false);
  assert.equal(await verifyPassword('not-a-hash', 'anything'), false);
});
