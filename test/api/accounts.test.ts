import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultLoginLimits } from '../../src/server/auth/login-limiter.js';
import { adminPassword, dialects, publicUrl, sessionCookie, testApp, type TestApp } from '../support/app.js';

for (const dialect of dialects) {
  describe(`accounts and sessions (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await testApp(dialect, { loginLimits: { ...defaultLoginLimits, freeFailures: 3 } });
    });
    after(() => t.close());

    test('login sets an HttpOnly SameSite=Lax cookie and /api/me returns the user', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: adminPassword } });
      assert.equal(response.statusCode, 200);
      const cookie = response.cookies.find((c) => c.name === 'labhub_session');
      assert.ok(cookie);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.path, '/');
      assert.deepEqual(response.json().user.role, 'admin');
      assert.equal(response.json().user.password_hash, undefined);
      const me = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: sessionCookie(response) } });
      assert.equal(me.statusCode, 200);
      assert.deepEqual(Object.keys(me.json().user).sort(), ['createdAt', 'disabled', 'displayName', 'email', 'role', 'username']);
    });

    test('wrong password and unknown user give the same 401', async () => {
      const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'nope-nope' } });
      const unknown = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ghost', password: 'nope-nope' } });
      assert.equal(wrong.statusCode, 401);
      assert.deepEqual(wrong.json(), unknown.json());
      assert.equal(wrong.json().error.code, 'LABHUB_BAD_CREDENTIALS');
    });

    test('the session id rotates at login: a cookie sent to login is revoked', async () => {
      const first = await t.login('admin', adminPassword);
      const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { cookie: first }, payload: { username: 'admin', password: adminPassword } });
      const second = sessionCookie(response);
      assert.notEqual(first, second);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: first } })).statusCode, 401);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: second } })).statusCode, 200);
    });

    test('logout revokes the session on the server and clears the cookie', async () => {
      const cookie = await t.login('admin', adminPassword);
      const logout = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
      assert.equal(logout.statusCode, 204);
      assert.match(String(logout.headers['set-cookie']), /labhub_session=;/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode, 401);
    });

    test('failed logins from one client for one account are slowed down with Retry-After', async () => {
      const cookie = await t.adminCookie();
      await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie }, payload: { username: 'target', password: 'target-password' } });
      for (let i = 0; i < 3; i++) {
        const attempt = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'target', password: 'guess-guess' } });
        assert.equal(attempt.statusCode, 401);
      }
      const limited = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'target', password: 'target-password' } });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.code, 'LABHUB_RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) > 0);
    });

    test('state-changing requests from a foreign Origin are refused', async () => {
      const cookie = await t.adminCookie();
      for (const origin of ['http://evil.test', 'null', `${publicUrl}.evil.test`]) {
        const response = await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie, origin }, payload: { username: 'csrf', password: 'csrf-password' } });
        assert.equal(response.statusCode, 403, origin);
        assert.equal(response.json().error.code, 'LABHUB_FOREIGN_ORIGIN');
      }
      const crossSite = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSite.statusCode, 403);
      const sameOrigin = await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie, origin: publicUrl }, payload: { username: 'same', password: 'same-password' } });
      assert.equal(sameOrigin.statusCode, 201);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie, origin: 'http://evil.test' } })).statusCode, 200, 'reads are not state-changing');
    });

    test('admin routes need the admin role', async () => {
      const userCookie = await t.userCookie('plain');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/admin/users' })).statusCode, 401);
      const forbidden = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: { cookie: userCookie } });
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.json().error.code, 'LABHUB_FORBIDDEN');
      const patch = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/plain', headers: { cookie: userCookie }, payload: { role: 'admin' } });
      assert.equal(patch.statusCode, 403);
      const authorCookie = await t.userCookie('writer', 'author');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: { cookie: authorCookie } })).statusCode, 403);
    });

    test('admins list, create, change role, disable and reset passwords', async () => {
      const cookie = await t.adminCookie();
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/admin/users',
        headers: { cookie },
        payload: { username: 'ann', password: 'ann-password', displayName: 'Ann Lee', email: 'ann@example.org' },
      });
      assert.equal(created.statusCode, 201);
      assert.equal(created.json().user.role, 'user');
      const duplicate = await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie }, payload: { username: 'ann', password: 'ann-password' } });
      assert.equal(duplicate.statusCode, 409);

      const annCookie = await t.login('ann', 'ann-password');
      const promoted = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/ann', headers: { cookie }, payload: { role: 'author' } });
      assert.equal(promoted.json().user.role, 'author');

      const disabled = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/ann', headers: { cookie }, payload: { disabled: true } });
      assert.equal(disabled.json().user.disabled, true);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: annCookie } })).statusCode, 401, 'disabling ends sessions');
      const refused = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ann', password: 'ann-password' } });
      assert.equal(refused.statusCode, 401, 'a disabled account answers as a wrong password (test/api/login-enumeration.test.ts)');

      await t.app.inject({ method: 'PATCH', url: '/api/admin/users/ann', headers: { cookie }, payload: { disabled: false, password: 'new-ann-password' } });
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ann', password: 'ann-password' } })).statusCode, 401);
      assert.ok(await t.login('ann', 'new-ann-password'));

      const list = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: { cookie } });
      assert.ok(list.json().users.some((u: { username: string }) => u.username === 'ann'));
      assert.ok(list.json().users.every((u: Record<string, unknown>) => !('password_hash' in u) && !('id' in u)));

      const audit = await t.store.db.selectFrom('audit_events').select(['action', 'target']).where('target', '=', 'ann').execute();
      assert.deepEqual(audit.map((a) => a.action), ['user.create', 'user.update', 'user.update', 'user.update']);
    });

    test('admins read the audit log, newest first, filtered and paged', async () => {
      const cookie = await t.adminCookie();
      await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'wrong-password' } });
      const all = await t.app.inject({ method: 'GET', url: '/api/admin/audit?limit=500', headers: { cookie } });
      assert.equal(all.statusCode, 200);
      const events = all.json().events as { id: number; action: string; actor: string }[];
      assert.ok(events.some((e) => e.action === 'login.failed' && e.actor === 'admin'));
      assert.deepEqual(events.map((e) => e.id), [...events.map((e) => e.id)].sort((a, b) => b - a), 'newest first');
      const failures = (await t.app.inject({ method: 'GET', url: '/api/admin/audit?action=login.failed', headers: { cookie } })).json().events;
      assert.ok(failures.length > 0 && failures.every((e: { action: string }) => e.action === 'login.failed'));
      const page = (await t.app.inject({ method: 'GET', url: `/api/admin/audit?limit=2&before=${events[0]!.id}`, headers: { cookie } })).json().events;
      assert.equal(page.length, 2);
      assert.ok(page.every((e: { id: number }) => e.id < events[0]!.id));
      const userCookie = await t.userCookie('snoop');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/admin/audit', headers: { cookie: userCookie } })).statusCode, 403);
      const bad = await t.app.inject({ method: 'GET', url: '/api/admin/audit?limit=9999', headers: { cookie } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details.problems[0].path, 'querystring.limit');
    });

    test('the last active admin cannot be demoted or disabled', async () => {
      const cookie = await t.adminCookie();
      const demote = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/admin', headers: { cookie }, payload: { role: 'user' } });
      assert.equal(demote.statusCode, 409);
      const disable = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/admin', headers: { cookie }, payload: { disabled: true } });
      assert.equal(disable.statusCode, 409);
    });

    test('unknown user → 404', async () => {
      const cookie = await t.adminCookie();
      const response = await t.app.inject({ method: 'PATCH', url: '/api/admin/users/nobody', headers: { cookie }, payload: { role: 'user' } });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error.code, 'LABHUB_NOT_FOUND');
    });
  });
}
