import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginLimiter } from './login-limiter.js';

test('failures for one username are limited, whatever the IP', () => {
  let now = 0;
  const limiter = new LoginLimiter({ perUsername: 2, perIp: 100, windowMs: 60_000 }, () => now);
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0);
  limiter.recordFailure('ann');
  assert.equal(limiter.admit('2.2.2.2', 'ann'), 0);
  limiter.recordFailure('ann');
  assert.equal(limiter.admit('3.3.3.3', 'ann'), 60);
  assert.equal(limiter.admit('3.3.3.3', 'bob'), 0, 'other users are not affected');
  now = 60_000;
  assert.equal(limiter.admit('3.3.3.3', 'ann'), 0, 'the window ends');
});

test('attempts from one IP are limited, whatever the username', () => {
  let now = 0;
  const limiter = new LoginLimiter({ perUsername: 100, perIp: 2, windowMs: 10_000 }, () => now);
  assert.equal(limiter.admit('1.1.1.1', 'a'), 0);
  assert.equal(limiter.admit('1.1.1.1', 'b'), 0);
  now = 2_500;
  assert.equal(limiter.admit('1.1.1.1', 'c'), 8);
  assert.equal(limiter.admit('9.9.9.9', 'c'), 0);
});

test('a success clears the username counter', () => {
  const limiter = new LoginLimiter({ perUsername: 1, perIp: 100, windowMs: 10_000 }, () => 0);
  limiter.recordFailure('ann');
  assert.ok(limiter.admit('1.1.1.1', 'ann') > 0);
  limiter.recordSuccess('ann');
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0);
});
