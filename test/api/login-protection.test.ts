import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LoginLimits } from '../../src/server/auth/login-limiter.js';
import { adminPassword, testApp, type TestApp } from '../support/app.js';

/**
 * Issue 15, finding 6: failed logins slow down the client that makes them, not the account's
 * owner elsewhere; and the client address is the one behind a trusted proxy, never one a client
 * claims. The clock is the test's own: waits are moved past, never slept through.
 */

interface Attempt {
  username: string;
  password: string;
  /** The address the request comes from (the TCP peer). */
  from: string;
  forwardedFor?: string;
}

function attempt(t: TestApp, { username, password, from, forwardedFor }: Attempt) {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: from,
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    payload: { username, password },
  });
}

async function auditIps(t: TestApp, action: string, actor: string): Promise<string[]> {
  const response = await t.app.inject({ method: 'GET', url: `/api/admin/audit?action=${action}&actor=${actor}`, headers: { cookie: await t.adminCookie() } });
  assert.equal(response.statusCode, 200, response.body);
  return (JSON.parse(response.body) as { events: { ip: string | null }[] }).events.map((event) => event.ip ?? '');
}

const stranger = '203.0.113.7';
const owner = '198.51.100.2';

describe('log-in protection with the default limits', { timeout: 120_000 }, () => {
  let t: TestApp;
  let now = Date.now();

  before(async () => {
    t = await testApp('sqlite', { clock: () => now });
  });
  after(() => t.close());

  test("a stranger's wrong passwords slow the stranger down and never lock the owner out", async () => {
    for (let i = 1; i <= 5; i++) {
      const failed = await attempt(t, { username: 'admin', password: `guess-${i}`, from: stranger });
      assert.equal(failed.statusCode, 401, `guess ${i}: ${failed.body}`);
    }
    const slowed = await attempt(t, { username: 'admin', password: 'guess-6', from: stranger });
    assert.equal(slowed.statusCode, 429, slowed.body);
    assert.equal(slowed.headers['retry-after'], '1');

    const ownerLogin = await attempt(t, { username: 'admin', password: adminPassword, from: owner });
    assert.equal(ownerLogin.statusCode, 200, `the owner, from their own client: ${ownerLogin.body}`);

    // The wait doubles with each further failure from the stranger's client.
    now += 1_000;
    assert.equal((await attempt(t, { username: 'admin', password: 'guess-7', from: stranger })).statusCode, 401);
    const longer = await attempt(t, { username: 'admin', password: 'guess-8', from: stranger });
    assert.equal(longer.statusCode, 429);
    assert.equal(longer.headers['retry-after'], '2');

    // Another account from the stranger's client is not slowed by the guesses at the admin.
    assert.equal((await attempt(t, { username: 'somebody', password: 'x', from: stranger })).statusCode, 401);
  });
});

describe('log-in protection: the per-client limit and the per-account ceiling', { timeout: 120_000 }, () => {
  let t: TestApp;
  let now = Date.now();
  const limits: LoginLimits = {
    clientFailures: 6,
    clientWindowMs: 15 * 60_000,
    freeFailures: 2,
    backoffBaseMs: 1_000,
    backoffMaxMs: 60_000,
    accountFailures: 4,
    accountWindowMs: 60 * 60_000,
    knownClientMs: 30 * 24 * 3600_000,
  };

  before(async () => {
    t = await testApp('sqlite', { clock: () => now, loginLimits: limits });
    await t.userCookie('lee');
  });
  after(() => t.close());

  test('one client guessing at many accounts is stopped; other clients are not', async () => {
    const sprayer = '192.0.2.50';
    for (let i = 1; i <= limits.clientFailures; i++) assert.equal((await attempt(t, { username: `victim-${i}`, password: 'Summer2026!', from: sprayer })).statusCode, 401);
    const stopped = await attempt(t, { username: 'victim-next', password: 'Summer2026!', from: sprayer });
    assert.equal(stopped.statusCode, 429, stopped.body);
    assert.equal(stopped.headers['retry-after'], String(limits.clientWindowMs / 1000));
    assert.equal((await attempt(t, { username: 'victim-next', password: 'Summer2026!', from: '192.0.2.51' })).statusCode, 401, 'another client');
  });

  test("guesses from many clients stop at the account's ceiling; its owner's known client still gets in", async () => {
    // Lee logs in from home first: that address is now known to be Lee's.
    const home = '198.51.100.20';
    assert.equal((await attempt(t, { username: 'lee', password: 'lee-password', from: home })).statusCode, 200);
    for (let i = 1; i <= limits.accountFailures; i++) assert.equal((await attempt(t, { username: 'lee', password: `guess-${i}`, from: `203.0.113.${i}` })).statusCode, 401);
    const botnet = await attempt(t, { username: 'lee', password: 'lee-password', from: '203.0.113.99' });
    assert.equal(botnet.statusCode, 429, `a new client past the ceiling, even with the right password: ${botnet.body}`);
    assert.equal((await attempt(t, { username: 'lee', password: 'lee-password', from: home })).statusCode, 200, "the owner's known client");
    assert.equal((await attempt(t, { username: 'admin', password: adminPassword, from: '203.0.113.99' })).statusCode, 200, 'other accounts are not affected');
    now += limits.accountWindowMs;
    assert.equal((await attempt(t, { username: 'lee', password: 'lee-password', from: '203.0.113.99' })).statusCode, 200, 'the ceiling lifts when its window ends');
  });
});

describe('client addresses and LABHUB_TRUST_PROXY', { timeout: 120_000 }, () => {
  test('without LABHUB_TRUST_PROXY, X-Forwarded-For is ignored: a client cannot pick the address it is limited and audited by', async () => {
    const t = await testApp('sqlite');
    try {
      for (let i = 1; i <= 5; i++) await attempt(t, { username: 'admin', password: `guess-${i}`, from: stranger, forwardedFor: `198.51.100.${i}` });
      assert.equal((await attempt(t, { username: 'admin', password: 'guess-6', from: stranger, forwardedFor: '198.51.100.6' })).statusCode, 429, 'one client, whatever it claims');
      assert.deepEqual(new Set(await auditIps(t, 'login.failed', 'admin')), new Set([stranger]));
    } finally {
      await t.close();
    }
  });

  test('behind a trusted proxy, each client is limited and audited by its own address; an untrusted peer is not believed', async () => {
    const proxy = '10.0.0.5';
    const t = await testApp('sqlite', { env: { LABHUB_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' } });
    try {
      await t.userCookie('lee');
      const clientA = '198.51.100.31';
      const clientB = '198.51.100.32';
      for (let i = 1; i <= 5; i++) assert.equal((await attempt(t, { username: 'lee', password: `guess-${i}`, from: proxy, forwardedFor: `192.0.2.1, ${clientA}` })).statusCode, 401);
      assert.equal((await attempt(t, { username: 'lee', password: 'guess-6', from: proxy, forwardedFor: clientA })).statusCode, 429, 'client A is slowed');
      const b = await attempt(t, { username: 'lee', password: 'lee-password', from: proxy, forwardedFor: clientB });
      assert.equal(b.statusCode, 200, `client B behind the same proxy is not: ${b.body}`);

      const spoofed = await attempt(t, { username: 'lee', password: 'wrong', from: '192.0.2.200', forwardedFor: '198.51.100.99' });
      assert.equal(spoofed.statusCode, 401);

      assert.deepEqual(new Set(await auditIps(t, 'login.failed', 'lee')), new Set([clientA, '192.0.2.200']));
      assert.ok((await auditIps(t, 'login', 'lee')).includes(clientB));
    } finally {
      await t.close();
    }
  });
});
