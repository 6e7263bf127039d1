import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { adminPassword, sessionCookie, testApp, type TestApp } from '../support/app.js';

/** Every log line the server writes, at the most talkative level. */
class LogCollector extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

describe('no secrets in the logs', { timeout: 120_000 }, () => {
  const log = new LogCollector();
  const clientSecret = 'oidc-client-secret-7f3a9c';
  const secrets: string[] = [adminPassword, clientSecret];
  const appsDomain = 'apps.labhub-apps.test';
  let t: TestApp;

  before(async () => {
    t = await testApp('sqlite', {
      logger: { level: 'trace', stream: log },
      env: { LABHUB_OIDC_ISSUER: 'http://127.0.0.1:9/', LABHUB_OIDC_CLIENT_ID: 'labhub', LABHUB_OIDC_CLIENT_SECRET: clientSecret, LABHUB_APPS_DOMAIN: appsDomain },
    });
  });
  after(() => t.close());

  test('passwords, session cookies and the client secret appear in no log line, whatever the requests', async () => {
    const origin = t.config.publicUrl;
    const admin = await t.adminCookie();
    secrets.push(admin.split('=')[1] as string);

    const userPassword = 'learner-password-e41b';
    const created = await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie: admin, origin }, payload: { username: 'lee', password: userPassword } });
    assert.equal(created.statusCode, 201);
    secrets.push(userPassword);

    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin }, payload: { username: 'lee', password: userPassword } });
    assert.equal(login.statusCode, 200);
    const lee = sessionCookie(login);
    secrets.push(lee.split('=')[1] as string);

    const wrongPassword = 'wrong-password-c0ffee';
    secrets.push(wrongPassword);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin }, payload: { username: 'lee', password: wrongPassword } })).statusCode, 401);

    const newPassword = 'changed-password-5d2e';
    secrets.push(newPassword);
    assert.equal((await t.app.inject({ method: 'PATCH', url: '/api/admin/users/lee', headers: { cookie: admin, origin }, payload: { password: newPassword } })).statusCode, 200);

    // Broken and refused requests carrying secrets: malformed JSON, an unknown field, a body too large to parse.
    const brokenPassword = 'broken-json-password-99aa';
    secrets.push(brokenPassword);
    const malformed = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin, 'content-type': 'application/json' }, payload: `{"username":"lee","password":"${brokenPassword}"` });
    assert.equal(malformed.statusCode, 400);
    const extraPassword = 'extra-field-password-0b1c';
    secrets.push(extraPassword);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie: admin, origin }, payload: { username: 'mo', password: extraPassword, passwrd: extraPassword } })).statusCode, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: `${lee}; other=1`, authorization: `Bearer ${clientSecret}` } })).statusCode, 401, 'the password change ended the session');

    // Single sign-on whose provider does not answer: the error is logged, the secret is not.
    const sso = await t.app.inject({ method: 'GET', url: '/api/auth/oidc/login' });
    assert.ok(sso.statusCode >= 300, `single sign-on answered ${sso.statusCode}`);
    assert.ok(!sso.body.includes(clientSecret));

    // Secrets in query strings: the provider's code and state on the callback, an app host's one-time ticket, tokens anywhere.
    const code = 'oidc-code-3e8a51';
    const state = 'oidc-state-9c04d7';
    secrets.push(code, state);
    const callback = await t.app.inject({ method: 'GET', url: `/api/auth/oidc/callback?code=${code}&state=${state}&iss=http%3A%2F%2F127.0.0.1%3A9%2F` });
    assert.ok(callback.statusCode >= 300, `the callback answered ${callback.statusCode}`);
    const ticket = 'app-ticket-77b2f0';
    secrets.push(ticket);
    const redeem = await t.app.inject({ method: 'GET', url: `/__labhub/ticket?ticket=${ticket}&next=%2F`, headers: { host: `8080-box-abcdefghijkl.${appsDomain}` } });
    assert.ok(redeem.statusCode >= 300, `the ticket endpoint answered ${redeem.statusCode}`);
    const tokens = ['query-token-5a1c', 'query-access-token-e2d9', 'query-id-token-0f6b'];
    secrets.push(...tokens);
    await t.app.inject({ method: 'GET', url: `/api/me?token=${tokens[0]}&access_token=${tokens[1]}&id_token=${tokens[2]}`, headers: { cookie: admin } });

    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: admin, origin } });

    assert.ok(log.text.split('\n').length > 20, 'the server logged the requests');
    const leaked = secrets.filter((secret) => log.text.includes(secret));
    assert.deepEqual(leaked, [], 'secrets found in the log');
    // The paths stay readable: what was redacted is the values, not the request.
    assert.match(log.text, /"url":"\/api\/auth\/oidc\/callback\?code=\[redacted\]&state=\[redacted\]&iss=http%3A%2F%2F127\.0\.0\.1%3A9%2F"/);
  });
});
