import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, type TestApp } from '../support/app.js';

/** Issue 15, finding 10: /metrics answers an admin session or the metrics token, nobody else. */

const token = 'prometheus-scrape-token-5b7e1d';

async function metrics(t: TestApp, headers: Record<string, string>) {
  return t.app.inject({ method: 'GET', url: '/metrics', headers });
}

describe('/metrics with LABHUB_METRICS_TOKEN', { timeout: 120_000 }, () => {
  let t: TestApp;
  before(async () => {
    t = await testApp('sqlite', { env: { LABHUB_METRICS_TOKEN: token } });
  });
  after(() => t.close());

  test('anonymous callers, users and authors are refused; admins and the token are served', async () => {
    assert.equal((await metrics(t, {})).statusCode, 401, 'anonymous');
    assert.equal((await metrics(t, { cookie: await t.userCookie('lee') })).statusCode, 403, 'a user');
    assert.equal((await metrics(t, { cookie: await t.userCookie('ada', 'author') })).statusCode, 403, 'an author');
    const admin = await metrics(t, { cookie: await t.adminCookie() });
    assert.equal(admin.statusCode, 200, 'an admin');
    assert.match(admin.body, /^labhub_http_request_duration_seconds_bucket/m);
    const scraped = await metrics(t, { authorization: `Bearer ${token}` });
    assert.equal(scraped.statusCode, 200, 'the token');
    assert.match(scraped.headers['content-type'] as string, /^text\/plain/);
  });

  test('a wrong, truncated or differently-schemed token is refused like no token', async () => {
    for (const authorization of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, 'Bearer ', `Basic ${token}`, token]) {
      const response = await metrics(t, { authorization });
      assert.equal(response.statusCode, 401, authorization);
      assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'LABHUB_UNAUTHENTICATED');
    }
  });
});

test('without LABHUB_METRICS_TOKEN, /metrics is for admins only and no bearer token opens it', { timeout: 120_000 }, async () => {
  const t = await testApp('sqlite');
  try {
    assert.equal((await metrics(t, {})).statusCode, 401);
    assert.equal((await metrics(t, { authorization: 'Bearer ' })).statusCode, 401);
    assert.equal((await metrics(t, { authorization: 'Bearer undefined' })).statusCode, 401);
    assert.equal((await metrics(t, { cookie: await t.adminCookie() })).statusCode, 200);
  } finally {
    await t.close();
  }
});
