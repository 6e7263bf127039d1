/** A test's view of a running labhub: logged-in API clients, starting labs, and gateway sockets. */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { E2eServer } from './server.js';

/** A logged-in HTTP client of a running server. */
export async function client(server: E2eServer, username: string, password: string) {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(login.status, 200, await login.text());
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { cookie, origin: server.url, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { cookie, api };
}

export type Client = Awaited<ReturnType<typeof client>>;

export async function startLab(user: Client, lab: string): Promise<string> {
  const created = await user.api('POST', '/api/instances', { lab });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.instance.id as string;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { body } = await user.api('GET', `/api/instances/${id}`);
    if (body.instance.status === 'running') return id;
    if (body.instance.status === 'failed' || Date.now() > deadline) assert.fail(`${lab}: ${body.instance.status} ${body.instance.message}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Opens a WebSocket; resolves with it when open, or with the HTTP status that refused the upgrade. */
export function connect(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', reject);
  });
}

/** How far back a marker may start before newly received text. */
const markerOverlap = 4096;

/** Collects everything a socket receives, as text. */
export function collect(ws: WebSocket): { text: () => string; until: (pattern: RegExp, timeoutMs?: number) => Promise<string> } {
  let received = '';
  // What each message adds, with the end of what came before: searching only that keeps a socket that gets 80 MB from costing a search of all of it per message.
  let recent = '';
  const waiters = new Set<(text: string) => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('latin1');
    received += text;
    recent = recent.slice(-markerOverlap) + text;
    for (const waiter of waiters) waiter(recent);
  });
  return {
    text: () => received,
    until: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (text: string) => {
          if (!pattern.test(text)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(received.slice(-300))}`));
        }, timeoutMs);
        waiters.add(check);
        check(received);
      }),
  };
}
