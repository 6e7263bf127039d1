import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { testApp, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await testApp('postgres');
});
after(() => t.close());

test('labhub survives PostgreSQL closing its idle connections, and reconnects', async () => {
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const admin = new pg.Client({ connectionString: process.env.LABHUB_TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(t.store.db);
    const database = rows[0]?.name;
    const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
    assert.ok((rowCount ?? 0) > 0, 'the pool had a connection to close');
  } finally {
    await admin.end();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});
