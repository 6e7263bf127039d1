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

  // One value of every JSON type, among them the ones a coercing validator turns into the declared
  // type ("42" → 42, 42 → "42", "true" → true, null → "" or 0, "x" → ["x"]): each must be refused.
  const valuesOfEveryType: unknown[] = ['42', 'true', '', 42, 0, 4.5, true, false, null, [], ['x'], {}];

  test('wrong-typed values for every body field of every route: 400 naming the field, never coerced', async () => {
    const checked: string[] = [];
    for (const route of t.app.routeTable.filter((r) => r.url.startsWith('/api/') && isObjectSchema(r.body))) {
      const url = route.url.replace(/:(\w+)/g, (_, name: string) => validParam[name] ?? 'x');
      for (const [field, schema] of Object.entries((route.body as JsonSchema).properties ?? {})) {
        const allowed = typesOf(schema);
        assert.ok(allowed.size > 0, `${route.method} ${route.url}: body.${field} declares no type`);
        for (const value of valuesOfEveryType.filter((candidate) => !allowed.has(jsonType(candidate)) && !(jsonType(candidate) === 'integer' && allowed.has('number')))) {
          const response = await t.app.inject({
            method: route.method as 'POST',
            url,
            headers: { cookie: cookies.admin, origin: t.config.publicUrl, 'content-type': 'application/json' },
            payload: JSON.stringify({ [field]: value }),
          });
          const what = `${route.method} ${url} {"${field}": ${JSON.stringify(value)}}`;
          assert.equal(response.statusCode, 400, `${what} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
          const error = response.json<{ error: { code: string; details?: { problems?: Array<{ path: string }> } } }>().error;
          assert.equal(error.code, 'LABHUB_VALIDATION', what);
          assert.ok(error.details?.problems?.some((problem) => problem.path === `body.${field}`), `${what} does not name body.${field}: ${response.body.slice(0, 300)}`);
          checked.push(`${jsonType(value)}→${[...allowed].join('|')}`);
        }
      }
    }
    // Every kind of field the API has was tried: strings, integers, booleans, enums and nullable strings.
    for (const kind of ['integer→string', 'string→integer', 'string→boolean', 'null→string', 'array→string']) assert.ok(checked.includes(kind), `no ${kind} case: ${[...new Set(checked)].join(', ')}`);
  });

  test('declared integer query and path parameters are parsed strictly: digits only', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: cookies.admin } });
    assert.equal((await get('/api/admin/audit?limit=12')).statusCode, 200);
    for (const limit of ['0x10', '1e1', '%2012', '12.0', '', 'true', '+12']) {
      const response = await get(`/api/admin/audit?limit=${limit}`);
      assert.equal(response.statusCode, 400, `limit=${limit} answered ${response.statusCode}`);
      assert.deepEqual(
        response.json<{ error: { details: { problems: Array<{ path: string }> } } }>().error.details.problems.map((problem) => problem.path),
        ['querystring.limit'],
        `limit=${limit}`,
      );
    }
    const version = await get('/api/labs/network-basics/versions/0x1');
    assert.equal(version.statusCode, 400, version.body);
    assert.match(version.body, /params\.version/);
  });

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

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
}

/** Path parameters that pass their own schema, so that the body is what gets checked. */
const validParam: Record<string, string> = { id: 'x', n: '1', version: '1', action: 'start', lab: 'x', group: 'x', username: 'x' };

function isObjectSchema(schema: unknown): schema is JsonSchema {
  return typeof schema === 'object' && schema !== null && (schema as JsonSchema).type === 'object';
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The JSON types a schema admits (a const or an enum admits the types of its values). */
function typesOf(schema: JsonSchema): Set<string> {
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(jsonType));
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((branch) => [...typesOf(branch)]));
  return new Set([schema.type ?? []].flat());
}
