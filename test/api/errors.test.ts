import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dialects, testApp, type TestApp } from '../support/app.js';

for (const dialect of dialects) {
  describe(`error responses (${dialect})`, () => {
    let t: TestApp;
    let cookie: string;
    before(async () => {
      t = await testApp(dialect);
      cookie = await t.adminCookie();
    });
    after(() => t.close());

    const post = (payload: string, contentType = 'application/json') =>
      t.app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie, 'content-type': contentType }, payload });

    test('malformed JSON → 400 LABHUB_MALFORMED_JSON', async () => {
      const response = await post('{"username": ');
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error.code, 'LABHUB_MALFORMED_JSON');
    });

    test('schema violations → 400 naming each field', async () => {
      const response = await post(JSON.stringify({ username: 'Bad Name!', password: 'short', role: 'root', extra: 1 }));
      assert.equal(response.statusCode, 400);
      const body = response.json();
      assert.equal(body.error.code, 'LABHUB_VALIDATION');
      const paths = body.error.details.problems.map((p: { path: string }) => p.path).sort();
      assert.deepEqual([...new Set(paths)], ['body.extra', 'body.password', 'body.role', 'body.username']);
      assert.match(body.error.message, /body\.username/);
    });

    test('a missing field is named', async () => {
      const response = await post(JSON.stringify({ username: 'someone' }));
      assert.deepEqual(response.json().error.details.problems, [{ path: 'body.password', message: 'is required' }]);
    });

    test('oversized body → 413', async () => {
      const response = await post(JSON.stringify({ username: 'big', password: 'x'.repeat(2 * 1024 * 1024) }));
      assert.equal(response.statusCode, 413);
      assert.equal(response.json().error.code, 'LABHUB_BODY_TOO_LARGE');
    });

    test('a body that is not JSON → 415', async () => {
      const response = await post('username=x', 'application/x-www-form-urlencoded');
      assert.equal(response.statusCode, 415);
      assert.equal(response.json().error.code, 'LABHUB_UNSUPPORTED_MEDIA_TYPE');
    });

    test('unknown API route → 404 JSON', async () => {
      for (const [method, url] of [['GET', '/api/nope'], ['DELETE', '/api/admin/users'], ['POST', '/api/nope/deeper']] as const) {
        const response = await t.app.inject({ method, url, headers: { cookie } });
        assert.equal(response.statusCode, 404, `${method} ${url}`);
        assert.equal(response.json().error.code, 'LABHUB_ROUTE_NOT_FOUND');
      }
    });

    test('no error body carries a stack trace', async () => {
      const responses = await Promise.all([post('{'), post('[]'), post('"x"'), post('null'), post('{"username":{"$gt":""}}')]);
      for (const response of responses) {
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${response.statusCode} ${response.body}`);
        assert.doesNotMatch(response.body, /at .*\.(ts|js):\d+|node_modules|Error:/);
      }
    });

    test('health, metrics and the OpenAPI document answer', async () => {
      assert.deepEqual((await t.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
      await t.app.inject({ method: 'GET', url: '/api/me' });
      // An admin's session reads /metrics (test/api/metrics-access.test.ts has who else may).
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: { cookie: await t.adminCookie() } });
      assert.equal(metrics.statusCode, 200);
      assert.match(metrics.body, /labhub_process_cpu_user_seconds_total/);
      assert.match(metrics.body, /labhub_http_request_duration_seconds_bucket\{.*route="\/api\/me"/);
      const openapi = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      assert.equal(openapi.openapi, '3.0.3');
      assert.ok(openapi.paths['/api/auth/login'].post.requestBody);
      assert.ok(openapi.paths['/api/admin/users/{username}'].patch);
    });

    test('responses carry security headers', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    });
  });
}
