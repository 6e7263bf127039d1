import WebSocket from 'ws';
import { startChild, type Child } from './processes.js';

/** The first admin's password in every bench server (bench/servers/labhub-server.ts). */
export const benchPassword = 'bench-admin-password';

export interface Labhub {
  child: Child<{ url: string; pid: number; instances: string[] }>;
  url: string;
  pid: number;
  /** Ids of the seeded bench-lab instances (bench runtime only). */
  instances: string[];
  cookie: string;
  /** A JSON API call as the admin. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** A JSON API call with another user's cookie. */
  apiAs(cookie: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Logs in another user (created through the admin API if needed) and returns their cookie. */
  userCookie(username: string): Promise<string>;
  wsUrl(instanceId: string, machine: string, kind: 'terminal' | 'vnc'): string;
  /** The server's event loop delay (ms) since the last call. */
  loopDelay(): Promise<{ p50: number; p99: number; max: number }>;
  stop(): Promise<void>;
}

export async function startLabhub(options: { runtime: 'bench' | 'local'; seed?: number; sourcePorts?: unknown; nodeArgs?: string[]; labsDir?: string }): Promise<Labhub> {
  const env: Record<string, string> = { BENCH_RUNTIME: options.runtime, BENCH_SEED: String(options.seed ?? 1), BENCH_SOURCE_PORTS: JSON.stringify(options.sourcePorts ?? {}) };
  if (options.labsDir) env.BENCH_LABS_DIR = options.labsDir;
  const child = await startChild<{ url: string; pid: number; instances: string[] }>({ script: 'servers/labhub-server.ts', nodeArgs: options.nodeArgs }, env, 180_000);
  const { url, instances } = child.ready;
  const login = async (username: string, password: string) => {
    const response = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (response.status !== 200) throw new Error(`login as ${username}: ${response.status} ${await response.text()}`);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  const cookie = await login('admin', benchPassword);
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { cookie: who, origin: url, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    child,
    url,
    pid: child.pid,
    instances,
    cookie,
    api: (method, path, body) => call(cookie, method, path, body),
    apiAs: call,
    async userCookie(username) {
      const password = `${username}-password`;
      const created = await call(cookie, 'POST', '/api/admin/users', { username, password, role: 'user' });
      if (created.status !== 201 && created.status !== 409) throw new Error(`creating ${username}: ${JSON.stringify(created.body)}`);
      return login(username, password);
    },
    wsUrl: (instanceId, machine, kind) => `${url.replace('http', 'ws')}/api/instances/${instanceId}/machines/${machine}/${kind}`,
    loopDelay: () =>
      new Promise((resolve) => {
        child.onLine((line) => {
          if (line.loopDelay) resolve(line.loopDelay as { p50: number; p99: number; max: number });
        });
        child.tell('loop-delay');
      }),
    stop: () => child.stop(),
  };
}

/** Opens a WebSocket with the given headers; rejects on a refused upgrade or an error. */
export function openSocket(url: string, headers: Record<string, string>, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`${url}: upgrade refused with ${response.statusCode}`)));
    ws.once('error', reject);
  });
}
