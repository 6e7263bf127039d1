import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginLimiter, type LoginLimits } from './login-limiter.js';

const limits: LoginLimits = {
  clientFailures: 100,
  clientWindowMs: 60_000,
  freeFailures: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 8_000,
  accountFailures: 100,
  accountWindowMs: 60_000,
  knownClientMs: 600_000,
};

function failTimes(limiter: LoginLimiter, client: string, account: string, times: number): void {
  for (let i = 0; i < times; i++) limiter.recordFailure(client, account);
}

test('one client failing at one account waits, doubling, up to the longest wait; other clients do not', () => {
  let now = 0;
  const limiter = new LoginLimiter(limits, () => now);
  failTimes(limiter, '1.1.1.1', 'ann', 2);
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0, 'the first failures are free');
  limiter.recordFailure('1.1.1.1', 'ann');
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 1);
  assert.equal(limiter.admit('2.2.2.2', 'ann'), 0, 'another client');
  assert.equal(limiter.admit('1.1.1.1', 'bob'), 0, 'another account');
  now += 1_000;
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0);
  limiter.recordFailure('1.1.1.1', 'ann');
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 2);
  failTimes(limiter, '1.1.1.1', 'ann', 5);
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 8, 'capped');
  now += 8_000 + 8_000;
  limiter.recordFailure('1.1.1.1', 'ann');
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0, 'forgotten after a quiet spell: the count starts again');
});

test('a success forgives the client its failures for that account', () => {
  const limiter = new LoginLimiter(limits, () => 0);
  failTimes(limiter, '1.1.1.1', 'ann', 4);
  assert.ok(limiter.admit('1.1.1.1', 'ann') > 0);
  limiter.recordSuccess('1.1.1.1', 'ann');
  assert.equal(limiter.admit('1.1.1.1', 'ann'), 0);
});

test('one client failing at many accounts is stopped until its window ends', () => {
  let now = 0;
  const limiter = new LoginLimiter({ ...limits, clientFailures: 3 }, () => now);
  for (const account of ['a', 'b', 'c']) limiter.recordFailure('1.1.1.1', account);
  now = 2_500;
  assert.equal(limiter.admit('1.1.1.1', 'd'), 58);
  assert.equal(limiter.admit('9.9.9.9', 'd'), 0);
  now = 60_000;
  assert.equal(limiter.admit('1.1.1.1', 'd'), 0);
});

test("many clients failing at one account stop at its ceiling, which the account's known clients pass", () => {
  let now = 0;
  const limiter = new LoginLimiter({ ...limits, accountFailures: 3 }, () => now);
  limiter.recordSuccess('7.7.7.7', 'ann');
  for (const client of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) limiter.recordFailure(client, 'ann');
  assert.equal(limiter.admit('4.4.4.4', 'ann'), 60);
  assert.equal(limiter.admit('7.7.7.7', 'ann'), 0, 'a known client');
  assert.equal(limiter.admit('4.4.4.4', 'bob'), 0, 'another account');
  now = 600_000;
  assert.equal(limiter.admit('4.4.4.4', 'ann'), 0, 'the window ended');
  failTimes(limiter, '5.5.5.5', 'ann', 1);
  failTimes(limiter, '6.6.6.6', 'ann', 2);
  assert.ok(limiter.admit('7.7.7.7', 'ann') > 0, 'a known client is no longer known once its time is up');
});

test('an account remembers its most recent known clients only', () => {
  const limiter = new LoginLimiter({ ...limits, accountFailures: 1 }, () => 0);
  for (let i = 0; i <= 10; i++) limiter.recordSuccess(`10.0.0.${i}`, 'ann');
  limiter.recordFailure('1.1.1.1', 'ann');
  assert.ok(limiter.admit('10.0.0.0', 'ann') > 0, 'the oldest of eleven is forgotten');
  assert.equal(limiter.admit('10.0.0.1', 'ann'), 0);
  assert.equal(limiter.admit('10.0.0.10', 'ann'), 0);
});
