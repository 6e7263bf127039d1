import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { nearSchema } from '../support/arbitrary-json.js';
import { testApp, type TestApp } from '../support/app.js';

const labsDir = new URL('../../labs', import.meta.url).pathname;

/** Routes fuzzing must leave alone: they end the session the fuzzer works with. */
const sessionEnders = new Set(['POST /api/auth/logout']);

/** A response that keeps the API's promises whatever came in: no 5xx, and errors in the one error shape. */
function assertWellFormed(response: LightMyRequestResponse, what: string): void {
  assert.ok(response.statusCode < 500, `${what} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  if (response.statusCode >= 400 && response.statusCode !== 404) {
    const body = response.json() as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof body.error?.code, 'string', `${what}: ${response.body.slice(0, 200)}`);
    assert.equal(typeof body.error?.message, 'string', `${what}: ${response.body.slice(0, 200)}`);
  }
  assert.doesNotMatch(response.body, /\bat .*\.(ts|js):\d+/, `${what} leaked a stack trace`);
}

describe('fuzzing every request body and path parameter (fast-check): never a 5xx, never a crash', { timeout: 900_000 }, () => {
  let t: TestApp;
  let cookies: Record<'admin' | 'author' | 'user', string>;

  before(async () => {
    t = await testApp('sqlite', { env: { LABHUB_LABS_DIR: labsDir } });
    cookies = { admin: await t.adminCookie(), author: await t.userCookie('fuzz-author', 'author'), user: await t.userCookie('fuzz-user') };
  });
  after(() => t.close());

  test('the route table has routes with bodies to fuzz', () => {
    const withBodies = t.app.routeTable.filter((route) => route.body !== undefined);
    assert.ok(withBodies.length >= 8, `only ${withBodies.length} routes declare a body`);
  });

  for (const role of ['admin', 'author', 'user'] as const) {
    test(`as ${role}: every /api route with arbitrary and near-valid bodies, parameters and query strings`, async () => {
      const routes = t.app.routeTable.filter((route) => route.url.startsWith('/api/') && !route.websocket && !sessionEnders.has(`${route.method} ${route.url}`));
      assert.ok(routes.length > 20, `only ${routes.length} routes`);
      for (const route of routes) {
        const params = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1] as string);
        await fc.assert(
          fc.asyncProperty(
            nearSchema(route.body),
            fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('admin', 'shell', '1', '0', '-1', '..', '%', 'start')), { minLength: params.length, maxLength: params.length }),
            fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 3 }),
            async (body, values, query) => {
              let url = route.url;
              params.forEach((name, i) => (url = url.replace(`:${name}`, encodeURIComponent(values[i] || 'x'))));
              const search = new URLSearchParams(query).toString();
              const response = await t.app.inject({
                method: route.method as 'GET',
                url: search ? `${url}?${search}` : url,
                headers: { cookie: cookies[role], origin: t.config.publicUrl, 'content-type': 'application/json' },
                ...(route.method !== 'GET' && { payload: JSON.stringify(body) }),
              });
              assertWellFormed(response, `${route.method} ${url}`);
            },
          ),
          { numRuns: route.body === undefined ? 15 : 40 },
        );
      }
    });
  }

  test('bodies that are not JSON at all', async () => {
    const routes = t.app.routeTable.filter((route) => route.url.startsWith('/api/') && route.method !== 'GET' && !route.websocket && !route.url.includes(':') && !sessionEnders.has(`${route.method} ${route.url}`));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'), async (route, payload, type) => {
        const response = await t.app.inject({ method: route.method as 'POST', url: route.url, headers: { cookie: cookies.admin, origin: t.config.publicUrl, 'content-type': type }, payload });
        assertWellFormed(response, `${route.method} ${route.url} (${type})`);
      }),
      { numRuns: 300 },
    );
  });
});
