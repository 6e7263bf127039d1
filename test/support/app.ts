import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp, type AppDeps } from '../../src/server/app.js';
import { ensureFirstAdmin } from '../../src/server/auth/first-admin.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import type { Dialect } from '../../src/server/store/dialect.js';
import { openStore, type Store } from '../../src/server/store/store.js';
import { UserRepository } from '../../src/server/store/users.js';

/** Both store dialects: tests that touch the store run once per entry. */
export const dialects: Dialect[] = ['sqlite', 'postgres'];

export const adminPassword = 'admin-password-1';
export const publicUrl = 'http://labhub.test';

/** A fresh, empty store: SQLite in a temp dir, or a new database in the test run's PostgreSQL cluster. */
export async function freshStore(dialect: Dialect): Promise<{ store: Store; dataDir: string; databaseUrl: string | undefined; dispose(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labhub-test-'));
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (dialect === 'postgres') {
    const serverUrl = process.env.LABHUB_TEST_POSTGRES_URL;
    if (!serverUrl) throw new Error('LABHUB_TEST_POSTGRES_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
    const name = `t_${randomBytes(6).toString('hex')}`;
    await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    databaseUrl = serverUrl.replace(/\/postgres\?/, `/${name}?`);
    dropDatabase = () => withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {});
  }
  const store = await openStore({ databaseUrl, dataDir });
  return {
    store,
    dataDir,
    databaseUrl,
    async dispose() {
      await store.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  config: Config;
  /** Logs in and returns the session cookie header value (`name=value`). */
  login(username: string, password: string): Promise<string>;
  /** Creates a user through the admin API and returns a logged-in cookie for them. */
  userCookie(username: string, role?: 'admin' | 'author' | 'user'): Promise<string>;
  adminCookie(): Promise<string>;
  close(): Promise<void>;
}

/** An app on a fresh store with the first admin created (password `adminPassword`); no reconciler unless `overrides` ask for one. */
export async function testApp(dialect: Dialect, overrides: Partial<AppDeps> & { env?: Record<string, string> } = {}): Promise<TestApp> {
  const fresh = await freshStore(dialect);
  const config = loadConfig({ LABHUB_DATA_DIR: fresh.dataDir, LABHUB_PUBLIC_URL: publicUrl, ...overrides.env }, fresh.dataDir);
  const app = await buildApp({ config, store: fresh.store, logger: false, reconciler: false, ...overrides });
  await ensureFirstAdmin(new UserRepository(fresh.store.db), adminPassword);

  const login = async (username: string, password: string) => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    if (response.statusCode !== 200) throw new Error(`login as ${username} failed: ${response.statusCode} ${response.body}`);
    return sessionCookie(response);
  };
  const adminCookie = () => login('admin', adminPassword);
  return {
    app,
    store: fresh.store,
    config,
    login,
    adminCookie,
    async userCookie(username, role = 'user') {
      const response = await app.inject({
        method: 'POST',
        url: '/api/admin/users',
        headers: { cookie: await adminCookie() },
        payload: { username, password: `${username}-password`, role },
      });
      if (response.statusCode !== 201) throw new Error(`creating ${username} failed: ${response.body}`);
      return login(username, `${username}-password`);
    },
    async close() {
      await app.close();
      await fresh.dispose();
    },
  };
}

/** `name=value` of the session cookie a response sets. */
export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name.endsWith('labhub_session'));
  if (!cookie) throw new Error('no session cookie in the response');
  return `${cookie.name}=${cookie.value}`;
}
