import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, PasswordChecker } from './passwords.js';

function counted(): { checker: PasswordChecker; count: () => number } {
  let count = 0;
  return { checker: new PasswordChecker({ inc: () => void count++ }), count: () => count };
}

test('hashes with argon2id and verifies only the right password', async () => {
  const { checker } = counted();
  const hashed = await hashPassword('correct horse battery');
  assert.match(hashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await checker.matches(hashed, 'correct horse battery'), true);
  assert.equal(await checker.matches(hashed, 'correct horse battery!'), false);
});

test('the same password hashes differently each time (salted)', async () => {
  assert.notEqual(await hashPassword('same password'), await hashPassword('same password'));
});

test('a missing or corrupt hash never verifies, and every check counts once', async () => {
  const { checker, count } = counted();
  assert.equal(await checker.matches(null, 'anything'), false);
  assert.equal(await checker.matches(undefined, ''), false);
  assert.equal(await checker.matches('not-a-hash', 'anything'), false);
  assert.equal(count(), 3);
});
