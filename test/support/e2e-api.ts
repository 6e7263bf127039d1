import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { E2eServer } from './server.js';

/** Calls a server's API as a script would (not through a page): with a session cookie and the Origin it expects. */
export async function api(server: E2eServer, path: string, init: { method?: string; body?: unknown; cookie?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { origin: server.url };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.url}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined && { body: JSON.stringify(init.body) }) });
}

/** Logs in through the API and returns the session cookie (`name=value`). */
export async function apiLogin(server: E2eServer, username: string, password: string): Promise<string> {
  const response = await api(server, '/api/auth/login', { method: 'POST', body: { username, password } });
  assert.equal(response.status, 200, `login as ${username}`);
  const cookie = response.headers.getSetCookie().find((line) => line.includes('labhub_session='));
  assert.ok(cookie, 'the login sets a session cookie');
  return cookie.split(';')[0]!;
}

/** Creates `username` (password `<username>-password`) as the first admin. */
export async function createUser(server: E2eServer, username: string, role: 'user' | 'author' | 'admin'): Promise<void> {
  const cookie = await apiLogin(server, 'admin', server.adminPassword);
  const response = await api(server, '/api/admin/users', { method: 'POST', cookie, body: { username, password: `${username}-password`, role } });
  assert.equal(response.status, 201, await response.text());
}

/** Fills in the login page the browser is on. */
export async function logIn(page: Page, username: string, password = `${username}-password`): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

/** Deletes instances through the API as `username` and waits (at most a minute) until they are gone, so no workload outlives the test. */
export async function deleteInstances(server: E2eServer, username: string, ids: string[]): Promise<void> {
  const cookie = await apiLogin(server, username, `${username}-password`);
  await Promise.all(ids.map((id) => api(server, `/api/instances/${encodeURIComponent(id)}`, { method: 'DELETE', cookie })));
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    while (Date.now() < deadline && (await api(server, `/api/instances/${encodeURIComponent(id)}`, { cookie })).status !== 404) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
