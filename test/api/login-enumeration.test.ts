import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UserRepository } from '../../src/server/store/users.js';
import { testApp, type TestApp } from '../support/app.js';

/**
 * Issue 15, finding 7: the login answer says nothing about whether an account exists, has a
 * password or is disabled. Cost is shown by counting password verifications (the
 * `labhub_password_verifications_total` metric), never by timing; answers are compared whole.
 */

const metricsToken = 'metrics-token-for-the-enumeration-test';

describe('log-in answers do not enumerate accounts', { timeout: 120_000 }, () => {
  let t: TestApp;

  before(async () => {
    t = await testApp('sqlite', { env: { LABHUB_METRICS_TOKEN: metricsToken } });
    await t.userCookie('lee');
    await t.userCookie('dee');
    const disabled = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/dee', headers: { cookie: await t.adminCookie() }, payload: { disabled: true } });
    assert.equal(disabled.statusCode, 200, disabled.body);
    // An account made by single sign-on: no local password.
    await new UserRepository(t.store.db).create({ username: 'sso-sam', role: 'user', passwordHash: null });
  });
  after(() => t.close());

  /** Password verifications so far, read with the metrics token (reading them costs none). */
  async function verifications(): Promise<number> {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(response.statusCode, 200, response.body);
    const line = /^labhub_password_verifications_total (\d+)$/m.exec(response.body);
    assert.ok(line, 'the metric labhub_password_verifications_total is exported');
    return Number(line[1]);
  }

  const login = (username: string, password: string, from: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: from, payload: { username, password } });

  test('an unknown username, a known one and one without a local password each cost one password verification', async () => {
    for (const [username, from] of [['nobody-here', '192.0.2.1'], ['lee', '192.0.2.2'], ['sso-sam', '192.0.2.3']] as const) {
      const before = await verifications();
      const response = await login(username, 'not-the-password', from);
      assert.equal(response.statusCode, 401, `${username}: ${response.body}`);
      assert.equal((await verifications()) - before, 1, `${username}: one verification`);
    }
  });

  test('a disabled account answers its right password exactly as a wrong one, and as any wrong password', async () => {
    const right = await login('dee', 'dee-password', '192.0.2.10');
    const wrong = await login('dee', 'not-the-password', '192.0.2.11');
    const otherWrong = await login('lee', 'not-the-password', '192.0.2.12');
    const unknown = await login('nobody-at-all', 'not-the-password', '192.0.2.13');
    const answer = (response: typeof right) => ({ status: response.statusCode, body: response.body, cookies: response.cookies.length });
    assert.deepEqual(answer(right), answer(wrong), 'right and wrong password of a disabled account');
    assert.deepEqual(answer(wrong), answer(otherWrong), 'a disabled account and an enabled one');
    assert.deepEqual(answer(wrong), answer(unknown), 'a disabled account and an unknown one');
    assert.equal(right.statusCode, 401);
  });
});
