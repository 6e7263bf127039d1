import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { oidcClientId, oidcClientSecret, startTestProvider, type TestProvider } from '../support/oidc-provider.js';
import { adminPassword, publicUrl, sessionCookie, testApp, type TestApp } from '../support/app.js';

const httpsPublicUrl = 'https://labhub.test';

/** Single sign-on against a real OpenID provider (oidc-provider) on 127.0.0.1, driven with plain HTTP. */
describe('single sign-on (OpenID Connect)', () => {
  let provider: TestProvider;
  let t: TestApp;
  let admin: string;

  const ssoEnv = (issuer: string) => ({
    LABHUB_OIDC_ISSUER: issuer,
    LABHUB_OIDC_CLIENT_ID: oidcClientId,
    LABHUB_OIDC_CLIENT_SECRET: oidcClientSecret,
    LABHUB_OIDC_SCOPES: 'openid email profile groups',
    LABHUB_OIDC_GROUPS_CLAIM: 'groups',
    LABHUB_OIDC_ALLOWED_DOMAINS: 'corp.com,Students.Corp.com',
    LABHUB_OIDC_NAME: 'Corp ID',
  });

  /** `name=value` of a cookie a response sets. */
  const cookieOf = (response: LightMyRequestResponse, suffix: string) => {
    const cookie = response.cookies.find((c) => c.name.endsWith(suffix));
    return cookie && `${cookie.name}=${cookie.value}`;
  };

  /** The whole login as a browser does it; returns labhub's answer to the callback. */
  const signIn = async (app: TestApp, account: string, options: { next?: string; tamper?: (callback: URL) => void } = {}) => {
    const start = await app.app.inject({ method: 'GET', url: `/api/auth/oidc/login${options.next ? `?next=${encodeURIComponent(options.next)}` : ''}` });
    assert.equal(start.statusCode, 302, start.body);
    const location = String(start.headers.location);
    assert.ok(location.startsWith(`${provider.issuer}/`), location);
    const authorization = new URL(location);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(!authorization.searchParams.has('code_verifier') && !authorization.searchParams.has('nonce_verifier'));
    const flowCookie = cookieOf(start, 'labhub_sso');
    assert.ok(flowCookie, 'the login is bound to this browser by a cookie');
    const callback = await provider.authorize(location, account);
    assert.equal(`${callback.origin}${callback.pathname}`, `${publicUrl}/api/auth/oidc/callback`);
    options.tamper?.(callback);
    return app.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: flowCookie } });
  };

  const refusedWith = (response: LightMyRequestResponse, reason: string) => {
    assert.equal(response.statusCode, 302, response.body);
    assert.equal(response.headers.location, `/login?sso_error=${reason}`);
    assert.equal(cookieOf(response, 'labhub_session'), undefined, 'no session');
  };

  const me = async (app: TestApp, cookie: string) => (await app.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).json();

  before(async () => {
    provider = await startTestProvider(() => [`${publicUrl}/api/auth/oidc/callback`, `${httpsPublicUrl}/api/auth/oidc/callback`]);
    t = await testApp('sqlite', { env: ssoEnv(provider.issuer) });
    admin = await t.adminCookie();
    for (const name of ['course-a', 'course-b', 'staff']) {
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/admin/groups', headers: { cookie: admin }, payload: { name } })).statusCode, 201);
    }
  });
  after(async () => {
    await t.close();
    await provider.close();
  });

  test('the login page learns what is enabled', async () => {
    const config = await t.app.inject({ method: 'GET', url: '/api/auth/config' });
    assert.deepEqual(config.json(), { localLogin: true, sso: { name: 'Corp ID', loginUrl: '/api/auth/oidc/login' } });
  });

  test('happy path: a new user is created, logged in, sent back, and put in the mapped groups', async () => {
    provider.accounts.set('sub-ann', { email: 'Ann.Lee@corp.com', email_verified: true, name: 'Ann Lee', preferred_username: 'Ann.Lee', groups: ['course-a', 'Course-B', 'not-a-labhub-group'] });
    const callback = await signIn(t, 'sub-ann', { next: '/labs/network-basics' });
    assert.equal(callback.statusCode, 302, callback.body);
    assert.equal(callback.headers.location, '/labs/network-basics');
    const session = cookieOf(callback, 'labhub_session');
    assert.ok(session);
    const sessionCookieAttributes = callback.cookies.find((c) => c.name === 'labhub_session');
    assert.equal(sessionCookieAttributes?.httpOnly, true);
    assert.equal(sessionCookieAttributes?.sameSite, 'Lax');
    const body = await me(t, session);
    assert.equal(body.user.username, 'ann.lee');
    assert.equal(body.user.displayName, 'Ann Lee');
    assert.equal(body.user.email, 'Ann.Lee@corp.com');
    assert.equal(body.user.role, 'user');
    assert.deepEqual(body.groups, ['course-a', 'course-b'], 'claim values name existing groups; unknown ones create nothing');
    assert.match(String(callback.headers['set-cookie']), /labhub_sso=;/, 'the flow cookie is cleared');

    const audit = (await t.app.inject({ method: 'GET', url: '/api/admin/audit?actor=ann.lee&action=login', headers: { cookie: admin } })).json().events;
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].detail, { method: 'sso', created: true, groupsAdded: ['course-a', 'course-b'], groupsRemoved: [] });
  });

  test('the next login finds the same user by sub and syncs groups; memberships an admin added stay', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/admin/groups/staff/members', headers: { cookie: admin }, payload: { username: 'ann.lee' } })).statusCode, 200);
    provider.accounts.set('sub-ann', { email: 'ann@students.corp.com', email_verified: true, name: 'Ann L.', preferred_username: 'someone-else', groups: 'course-b' });
    const callback = await signIn(t, 'sub-ann');
    assert.equal(callback.headers.location, '/');
    const body = await me(t, cookieOf(callback, 'labhub_session') ?? '');
    assert.equal(body.user.username, 'ann.lee', 'the username is chosen once');
    assert.equal(body.user.email, 'ann@students.corp.com');
    assert.equal(body.user.displayName, 'Ann L.');
    assert.deepEqual(body.groups, ['course-b', 'staff']);
  });

  test('a provider account never takes over a local account of the same name', async () => {
    provider.accounts.set('sub-mallory', { email: 'admin@corp.com', email_verified: true, preferred_username: 'admin', groups: [] });
    const callback = await signIn(t, 'sub-mallory');
    const body = await me(t, cookieOf(callback, 'labhub_session') ?? '');
    assert.equal(body.user.username, 'admin-2');
    assert.equal(body.user.role, 'user');
    // The real admin still logs in with the password, and is still the admin.
    assert.equal((await me(t, await t.login('admin', adminPassword))).user.role, 'admin');
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['email_verified false', { email: 'eve@corp.com', email_verified: false }, 'email_unverified'],
    ['email_verified missing', { email: 'eve@corp.com' }, 'email_unverified'],
    ['email_verified the string "true"', { email: 'eve@corp.com', email_verified: 'true' }, 'email_unverified'],
    ['no email', { email_verified: true }, 'email_missing'],
    ['a domain not allowed', { email: 'eve@other.org', email_verified: true }, 'domain_not_allowed'],
    ['a lookalike domain ending like an allowed one', { email: 'eve@exploitcorp.com', email_verified: true }, 'domain_not_allowed'],
    ['a lookalike domain starting like an allowed one', { email: 'eve@corp.com.evil.io', email_verified: true }, 'domain_not_allowed'],
    ['an allowed domain before another @', { email: 'eve@corp.com@evil.io', email_verified: true }, 'domain_not_allowed'],
    ['a subdomain of an allowed domain that is not listed', { email: 'eve@eng.corp.com', email_verified: true }, 'domain_not_allowed'],
  ];
  for (const [name, claims, reason] of refusals) {
    test(`refused: ${name}`, async () => {
      const account = `sub-${reason}-${Math.random().toString(36).slice(2)}`;
      provider.accounts.set(account, { preferred_username: 'eve', ...claims });
      refusedWith(await signIn(t, account), reason);
      const failed = (await t.app.inject({ method: 'GET', url: '/api/admin/audit?action=login.failed&limit=1', headers: { cookie: admin } })).json().events[0];
      assert.deepEqual(failed.detail, { method: 'sso', reason, subject: account });
    });
  }

  test('no user was created by a refused login', async () => {
    const users = (await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: { cookie: admin } })).json().users.map((user: { username: string }) => user.username);
    assert.deepEqual(users.sort(), ['admin', 'admin-2', 'ann.lee']);
  });

  test('refused: a bad state, a missing flow cookie, a replayed callback', async () => {
    provider.accounts.set('sub-bob', { email: 'bob@corp.com', email_verified: true });
    refusedWith(await signIn(t, 'sub-bob', { tamper: (callback) => callback.searchParams.set('state', 'forged-state') }), 'login_expired');

    const start = await t.app.inject({ method: 'GET', url: '/api/auth/oidc/login' });
    const callback = await provider.authorize(String(start.headers.location), 'sub-bob');
    refusedWith(await t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` }), 'login_expired');
    const flowCookie = cookieOf(start, 'labhub_sso') ?? '';
    // The attempt without the cookie did not use up the login: the browser that started it finishes it, once.
    const finished = await t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: flowCookie } });
    assert.equal(finished.statusCode, 302);
    assert.equal(finished.headers.location, '/');
    refusedWith(await t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: flowCookie } }), 'login_expired');
  });

  test('next must be a path on this site', async () => {
    for (const next of ['https://evil.test/', '//evil.test', '/\\evil.test', '/\t/evil.test', '/login', '/api/me']) {
      provider.accounts.set('sub-carol', { email: 'carol@corp.com', email_verified: true });
      const callback = await signIn(t, 'sub-carol', { next });
      assert.equal(callback.headers.location, '/', next);
    }
  });

  test('a disabled account is refused', async () => {
    assert.equal((await t.app.inject({ method: 'PATCH', url: '/api/admin/users/carol', headers: { cookie: admin }, payload: { disabled: true } })).statusCode, 200);
    refusedWith(await signIn(t, 'sub-carol'), 'account_disabled');
  });

  test('local login off: the API refuses passwords clearly, SSO still works', async () => {
    const ssoOnly = await testApp('sqlite', { env: { ...ssoEnv(provider.issuer), LABHUB_LOCAL_LOGIN: 'false' } });
    try {
      const refused = await ssoOnly.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: adminPassword } });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error.code, 'LABHUB_FORBIDDEN');
      assert.match(refused.json().error.message, /Password login is turned off.*Corp ID/);
      assert.deepEqual((await ssoOnly.app.inject({ method: 'GET', url: '/api/auth/config' })).json(), { localLogin: false, sso: { name: 'Corp ID', loginUrl: '/api/auth/oidc/login' } });
      provider.accounts.set('sub-dan', { email: 'dan@corp.com', email_verified: true });
      const callback = await signIn(ssoOnly, 'sub-dan');
      assert.equal((await me(ssoOnly, cookieOf(callback, 'labhub_session') ?? '')).user.username, 'dan');
    } finally {
      await ssoOnly.close();
    }
  });

  test('an unreachable provider: labhub starts, and the login says so', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await testApp('sqlite', { env: { ...ssoEnv(`http://127.0.0.1:${port}`) } });
    try {
      const start = await down.app.inject({ method: 'GET', url: '/api/auth/oidc/login' });
      assert.equal(start.statusCode, 302);
      assert.equal(start.headers.location, '/login?sso_error=provider_unreachable');
      assert.equal((await down.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: adminPassword } })).statusCode, 200);
    } finally {
      await down.close();
    }
  });

  test('without single sign-on configured its routes are 404 and the config says so', async () => {
    const plain = await testApp('sqlite');
    try {
      assert.deepEqual((await plain.app.inject({ method: 'GET', url: '/api/auth/config' })).json(), { localLogin: true, sso: null });
      assert.equal((await plain.app.inject({ method: 'GET', url: '/api/auth/oidc/login' })).statusCode, 404);
      assert.equal((await plain.app.inject({ method: 'GET', url: '/api/auth/oidc/callback?code=x&state=y' })).statusCode, 404);
    } finally {
      await plain.close();
    }
  });

  test('under an https public URL both cookies are __Host- prefixed, Secure, host-only, Path=/', async () => {
    const secure = await testApp('sqlite', { env: { ...ssoEnv(provider.issuer), LABHUB_PUBLIC_URL: httpsPublicUrl } });
    try {
      const login = await secure.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: adminPassword } });
      assert.equal(login.statusCode, 200);
      const start = await secure.app.inject({ method: 'GET', url: '/api/auth/oidc/login' });
      assert.equal(start.statusCode, 302);
      for (const [response, name] of [[login, '__Host-labhub_session'], [start, '__Host-labhub_sso']] as const) {
        const cookie = response.cookies.find((c) => c.name === name);
        assert.ok(cookie, `${name} in ${String(response.headers['set-cookie'])}`);
        assert.equal(cookie.secure, true);
        assert.equal(cookie.path, '/');
        assert.equal(cookie.domain, undefined);
        assert.equal(cookie.httpOnly, true);
      }
      assert.equal((await secure.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: sessionCookie(login) } })).statusCode, 200);
      assert.match(String(start.headers.location), new RegExp(`redirect_uri=${encodeURIComponent(`${httpsPublicUrl}/api/auth/oidc/callback`)}`));
    } finally {
      await secure.close();
    }
  });
});
