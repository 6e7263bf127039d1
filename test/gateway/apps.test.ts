import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { launchBrowser } from '../support/browser.js';
import { api, apiLogin, createUser } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const appLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: web-app, title: Web app }
spec:
  machines:
    - name: web
      type: container
      image: labhub/shell
      resources: { cpu: 250m, memory: 128Mi }
      access: [terminal, { http: 8080 }, { http: 8081 }]
`;

/** The sandbox every app response carries in path mode (docs/decisions/0014-apps-isolation.md). */
const sandbox = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/**
 * A server (with `env` on top) running the web-app lab for admin, with the HTTP app
 * (app-server.pl) and the WebSocket echo started inside, and people around the instance:
 * ada (another admin), vic (view share), carl (control share), alan (an author), eve (nobody).
 */
async function appFixture(env: Record<string, string> = {}) {
  const labs = mkdtempSync(path.join(tmpdir(), 'labhub-apps-'));
  writeFileSync(path.join(labs, 'web-app.yaml'), appLab);
  const server = await startServer({ env: { LABHUB_LABS_DIR: labs, ...env } });
  const cookie = await apiLogin(server, 'admin', server.adminPassword);
  const people = { ada: 'admin', vic: 'user', carl: 'user', alan: 'author', eve: 'user' } as const;
  for (const [name, role] of Object.entries(people)) await createUser(server, name, role);
  const cookies = Object.fromEntries(
    await Promise.all(Object.keys(people).map(async (name) => [name, await apiLogin(server, name, `${name}-password`)] as const)),
  ) as Record<keyof typeof people, string>;
  const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { headers: { cookie, ...headers }, redirect: 'manual' });
  const created = await api(server, '/api/instances', { method: 'POST', cookie, body: { lab: 'web-app' } });
  const id = ((await created.json()) as { instance: { id: string } }).instance.id;
  for (let status = ''; status !== 'running';) {
    status = ((await (await get(`/api/instances/${id}`)).json()) as { instance: { status: string } }).instance.status;
    assert.notEqual(status, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal((await api(server, `/api/instances/${id}/shares`, { method: 'POST', cookie, body: { username: 'vic', access: 'view' } })).status, 201);
  assert.equal((await api(server, `/api/instances/${id}/shares`, { method: 'POST', cookie, body: { username: 'carl', access: 'control' } })).status, 201);
  // Start the apps inside the machine by typing into its terminal, as a learner would.
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/instances/${id}/machines/web/terminal`, { headers: { cookie, origin: server.url } });
  await new Promise((resolve) => ws.once('open', resolve));
  const copy = (file: string, to: string) => `cat > ${to} <<'PERL'\r${readFileSync(new URL(file, import.meta.url), 'utf8').replaceAll('\n', '\r')}PERL\r`;
  ws.send(Buffer.from(`${copy('./app-server.pl', '/tmp/app-server.pl')}(perl /tmp/app-server.pl 8080 &)\r`));
  ws.send(Buffer.from(`${copy('./ws-echo.pl', '/tmp/ws-echo.pl')}(perl /tmp/ws-echo.pl 8081 &)\r`));
  ws.send(Buffer.from('until (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; do sleep 0.2; done; echo APP-$((1+1))\r'));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    ws.on('message', (data: Buffer) => {
      seen += data.toString();
      if (seen.includes('APP-2')) resolve();
    });
    setTimeout(() => reject(new Error('the app did not start within 30 s')), 30_000);
  });
  ws.close();
  return {
    server,
    cookie,
    cookies,
    id,
    get,
    async close() {
      await api(server, `/api/instances/${id}`, { method: 'DELETE', cookie });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await server.close();
    },
  };
}

/** Opens a WebSocket and answers with the first message it gets after sending `text`, or how it failed. */
function echo(url: string, headers: Record<string, string>, text: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => ws.send(text));
    ws.once('message', (data) => {
      resolve((data as Buffer).toString());
      ws.close();
    });
    ws.once('unexpected-response', (_request, response) => resolve(`refused ${response.statusCode}`));
    ws.once('close', (code) => resolve(`closed ${code}`));
    ws.once('error', (error) => resolve(`error ${error.message}`));
  });
}

/** `promise`, or `fallback` when it has not settled within `ms` (so that a failing test ends instead of hanging). */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);
}

/** Retries `echo` until the app's WebSocket server answers (it starts in the background). */
async function echoWhenUp(url: string, headers: Record<string, string>, text: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await echo(url, headers, text);
    if (reply.startsWith('echo:') || reply.startsWith('refused') || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('HTTP apps, path mode', { timeout: 600_000 }, () => {
  let fixture: Awaited<ReturnType<typeof appFixture>>;
  let server: E2eServer;
  let id = '';
  /** Opens `route` of the app as its owner: the redirect to the app's session path, then that path without any cookie. */
  let open: (route: string, headers?: Record<string, string>) => Promise<{ location: string; response: Response }>;

  before(async () => {
    fixture = await appFixture();
    ({ server, id } = fixture);
    open = async (route, headers = {}) => {
      const entry = await fixture.get(route);
      assert.equal(entry.status, 302, `${route}: ${entry.status} ${await entry.clone().text()}`);
      const location = entry.headers.get('location') ?? '';
      return { location, response: await fetch(`${server.url}${location}`, { headers, redirect: 'manual' }) };
    };
  });
  after(() => fixture.close());

  test('the owner gets the app sandboxed: its own session path, no labhub cookie, no cookie of its own, the sandbox on every answer', async () => {
    const { location, response } = await open(`/apps/${id}/web/8080/some/page?x=1`, { cookie: `${fixture.cookie}; theme=dark` });
    assert.match(location, new RegExp(`^/apps/${id}/web/8080/~[\\w-]{43}/some/page\\?x=1$`));
    assert.equal(response.status, 200);
    const seen = await response.text();
    assert.match(seen, /^seen: GET \/some\/page\?x=1 HTTP\/1\.1/);
    assert.match(seen, new RegExp(`x-forwarded-prefix: /apps/${id}/web/8080/~[\\w-]{43}\\r?\\n`, 'i'));
    assert.match(seen, /cookie: theme=dark/i);
    assert.doesNotMatch(seen, /labhub_session/);
    assert.deepEqual(response.headers.getSetCookie(), [], "an app on labhub's origin sets no cookie at all");
    assert.equal(response.headers.get('content-security-policy'), sandbox);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const prefix = location.slice(0, location.indexOf('/some/page'));
    for (const [route, status] of [
      ['/missing', 404],
      ['/moved', 302],
      ['/headers', 200],
    ] as const) {
      const answer = await fetch(`${server.url}${prefix}${route}`, { redirect: 'manual' });
      assert.equal(answer.status, status, route);
      assert.equal(answer.headers.get('content-security-policy'), sandbox, `${route}: the sandbox on a ${status}`);
      assert.deepEqual(answer.headers.getSetCookie(), [], route);
      assert.equal(answer.headers.get('service-worker-allowed'), null, route);
      assert.equal(answer.headers.get('clear-site-data'), null, route);
    }
    assert.equal((await fetch(`${server.url}${prefix}/moved`, { redirect: 'manual' })).headers.get('location'), '/elsewhere');
  });

  test('a service worker script is never served from an app', async () => {
    const { location } = await open(`/apps/${id}/web/8080/sw.js`);
    const script = await fetch(`${server.url}${location}`, { headers: { 'service-worker': 'script' } });
    assert.equal(script.status, 403);
    assert.match(await script.text(), /service worker/i);
  });

  test('only the owner opens a path-mode app: admins, watchers and controllers are told about LABHUB_APPS_DOMAIN', async () => {
    for (const name of ['ada', 'vic', 'carl'] as const) {
      const refused = await fixture.get(`/apps/${id}/web/8080/`, { cookie: fixture.cookies[name] });
      assert.equal(refused.status, 403, name);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'LABHUB_FORBIDDEN', name);
      assert.match(body.error.message, /LABHUB_APPS_DOMAIN/, name);
    }
    // An author sees only the instances of labs they hold: this one is a file lab naming nobody.
    for (const name of ['eve', 'alan'] as const)
      assert.equal((await fixture.get(`/apps/${id}/web/8080/`, { cookie: fixture.cookies[name] })).status, 404, name);
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/`, { redirect: 'manual' })).status, 401);
    assert.equal((await fixture.get(`/apps/${id}/web/22/`)).status, 404);
    assert.equal((await fixture.get(`/apps/${id}/nosuch/8080/`)).status, 404);
    const redirect = await fixture.get(`/apps/${id}/web/8080`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), `/apps/${id}/web/8080/`);
    const stolen = await fixture.get(`/apps/${id}/web/8080/`, { cookie: fixture.cookies.ada });
    assert.equal(stolen.headers.get('location'), null, 'nobody else gets a session path');
  });

  test("an app's session path opens only that app, only while the owner's labhub session lasts", async () => {
    const session = await apiLogin(server, 'admin', server.adminPassword);
    const entry = await fixture.get(`/apps/${id}/web/8080/`, { cookie: session });
    const capability = /~[\w-]{43}/.exec(entry.headers.get('location') ?? '')?.[0] ?? '';
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/${capability}/`)).status, 200);
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8081/${capability}/`, { redirect: 'manual' })).status, 401, 'not another port');
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/~${'A'.repeat(43)}/`, { redirect: 'manual' })).status, 401, 'not a made-up one');
    // A form the sandboxed page posts carries Origin: null and no cookie; the session path is its authority.
    const posted = await fetch(`${server.url}/apps/${id}/web/8080/${capability}/form`, {
      method: 'POST',
      headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.equal(posted.status, 200);
    assert.match(await posted.text(), /^seen: POST \/form HTTP\/1\.1/);
    assert.equal((await api(server, '/api/auth/logout', { method: 'POST', cookie: session })).status, 204);
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/${capability}/`, { redirect: 'manual' })).status, 401, 'logout ends it');
  });

  test("an app's WebSocket is relayed on its session path from the sandboxed page (Origin: null), and closes at logout", async () => {
    const session = await apiLogin(server, 'admin', server.adminPassword);
    const entry = await fixture.get(`/apps/${id}/web/8081/`, { cookie: session });
    const prefix = (entry.headers.get('location') ?? '').replace(/\/$/, '');
    const base = server.url.replace('http', 'ws');
    assert.equal(await echoWhenUp(`${base}${prefix}/socket`, { origin: 'null' }, 'hello app'), 'echo: hello app');
    assert.equal(await echo(`${base}${prefix}/socket`, { origin: 'http://evil.test' }, 'x'), 'refused 403', 'never from another site');
    assert.equal(await echo(`${base}/apps/${id}/web/8081/socket`, { cookie: session, origin: 'http://evil.test' }, 'x'), 'refused 403');
    const ws = new WebSocket(`${base}${prefix}/socket`, { headers: { origin: 'null' } });
    assert.equal(
      await within(new Promise((resolve) => ws.once('open', () => resolve('open')).once('error', (error) => resolve(error.message))), 30_000, 'no answer'),
      'open',
    );
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    assert.equal((await api(server, '/api/auth/logout', { method: 'POST', cookie: session })).status, 204);
    assert.equal(await within(closed, 15_000, -1), 4401, 'logout closes the app socket');
  });

  test("in a browser, the app's page cannot use the opener's labhub session, register a service worker or shadow the session cookie", async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ baseURL: server.url });
      assert.equal(
        (
          await context.request.post('/api/auth/login', { data: { username: 'admin', password: server.adminPassword }, headers: { origin: server.url } })
        ).status(),
        200,
      );
      const page = await context.newPage();
      await page.goto(`/apps/${id}/web/8080/page`);
      await page.waitForSelector('body[data-done="yes"]', { timeout: 30_000 });
      const results = JSON.parse((await page.textContent('#result')) ?? '{}') as Record<string, string>;
      assert.match(results.me ?? '', /^refused/, `fetch('/api/me') with the opener's cookie: ${results.me}`);
      assert.match(results.promote ?? '', /^refused/, `POST /api/admin/users: ${results.promote}`);
      assert.match(results.serviceWorker ?? '', /^refused/, `service worker: ${results.serviceWorker}`);
      const users = (await (await api(server, '/api/admin/users', { cookie: fixture.cookie })).json()) as { users: { username: string }[] };
      assert.ok(!users.users.some((user) => user.username === 'pwned'), 'the page made nobody admin');
      assert.equal(results.origin, 'null', 'the page runs in an opaque origin');
      assert.match(results.own ?? '', /^200 seen: GET \/echo\?from=page HTTP/, `the page reads its own app: ${results.own}`);
      assert.match(results.ownPost ?? '', /^200 seen: POST \/echo HTTP/, `the page posts JSON to its own app: ${results.ownPost}`);

      // The app answers `Set-Cookie: labhub_session =shadowed; Path=/` (a space before `=`).
      await page.goto(`/apps/${id}/web/8080/headers`);
      const jar = await context.cookies();
      assert.deepEqual(
        jar.filter((cookie) => cookie.value === 'shadowed' || cookie.value === 'nameless' || cookie.name === 'app'),
        [],
        JSON.stringify(jar),
      );
      assert.equal((await context.request.get('/api/me')).status(), 200, 'the labhub session is intact');
    } finally {
      await browser.close();
    }
  });
});

/** A request to the test server with any Host header (fetch does not let one set it). */
function requestAs(
  server: E2eServer,
  host: string,
  route: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: route, headers: { host, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('HTTP apps, one host per app (LABHUB_APPS_DOMAIN)', { timeout: 600_000 }, () => {
  let fixture: Awaited<ReturnType<typeof appFixture>>;
  let port = '';
  const hostOf = (appPort: number) => `${appPort}-web-${fixture.id}.apps.test:${port}`;

  before(async () => {
    fixture = await appFixture({ LABHUB_APPS_DOMAIN: 'apps.test' });
    port = new URL(fixture.server.url).port;
  });
  after(() => fixture.close());

  /** Opens an app through labhub as the holder of `cookie`: the app host's cookie (`labhub_app=…`). */
  const enter = async (cookie: string, appPort: number): Promise<string> => {
    const open = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=${appPort}`, { cookie });
    assert.equal(open.status, 302);
    const location = new URL(open.headers.get('location') ?? '');
    const redeemed = await requestAs(fixture.server, hostOf(appPort), `${location.pathname}${location.search}`);
    assert.equal(redeemed.status, 302);
    return String(redeemed.headers['set-cookie']).split(';')[0] ?? '';
  };

  test('the main origin hands out a one-time ticket; the app host trades it for its own cookie', async () => {
    const open = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080&path=${encodeURIComponent('/hello?x=1')}`);
    assert.equal(open.status, 302);
    const location = new URL(open.headers.get('location') ?? '');
    assert.equal(location.host, hostOf(8080));
    assert.equal(location.pathname, '/__labhub/ticket');

    const redeemed = await requestAs(fixture.server, hostOf(8080), `${location.pathname}${location.search}`);
    assert.equal(redeemed.status, 302);
    assert.equal(redeemed.headers.location, '/hello?x=1');
    const setCookie = String(redeemed.headers['set-cookie']);
    assert.match(setCookie, /^labhub_app=[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/, 'host-only: no Domain attribute');
    const appCookie = setCookie.split(';')[0] ?? '';

    const again = await requestAs(fixture.server, hostOf(8080), `${location.pathname}${location.search}`);
    assert.equal(again.status, 401, 'a ticket works once');

    const page = await requestAs(fixture.server, hostOf(8080), '/hello?x=1', { cookie: `${appCookie}; theme=dark` });
    assert.equal(page.status, 200);
    assert.match(page.body, /^seen: GET \/hello\?x=1 HTTP\/1\.1/);
    assert.match(page.body, /cookie: theme=dark/i);
    assert.doesNotMatch(page.body, /labhub_app|x-forwarded-prefix/i);

    const otherApp = await requestAs(fixture.server, `8081-web-${fixture.id}.apps.test`, '/', { cookie: appCookie });
    assert.equal(otherApp.status, 302, 'an app cookie opens only its own app');
    assert.match(String(otherApp.headers.location), /\/api\/apps\/open\?instance=/);
  });

  test("an app's cookies stay on its own host and never carry labhub's names, however they are spelled", async () => {
    const appCookie = await enter(fixture.cookie, 8080);
    const answer = await requestAs(fixture.server, hostOf(8080), '/headers', { cookie: appCookie });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.headers['set-cookie'], ['app=1; Path=/', 'wide=1; Path=/']);
    assert.equal(answer.headers['clear-site-data'], undefined);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  });

  test('the instance links each app through the ticket endpoint', async () => {
    const { instance } = (await (await fixture.get(`/api/instances/${fixture.id}`)).json()) as { instance: { machines: { apps: { url: string }[] }[] } };
    assert.equal(instance.machines[0]?.apps[0]?.url, `/api/apps/open?instance=${fixture.id}&machine=web&port=8080`);
  });

  test('without an app session the app host sends the browser to the main origin; others cannot open it; path mode is off', async () => {
    const anonymous = await requestAs(fixture.server, hostOf(8080), '/deep/page');
    assert.equal(anonymous.status, 302);
    assert.equal(
      anonymous.headers.location,
      `${fixture.server.url}/api/apps/open?instance=${fixture.id}&machine=web&port=8080&path=${encodeURIComponent('/deep/page')}`,
    );
    const stranger = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080`, { cookie: fixture.cookies.eve });
    assert.equal(stranger.status, 404);
    const watcher = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080`, { cookie: fixture.cookies.vic });
    assert.equal(watcher.status, 403);
    const undeclared = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=22`);
    assert.equal(undeclared.status, 404);
    assert.equal((await fixture.get(`/apps/${fixture.id}/web/8080/`)).status, 404);
  });

  test('the ticket hand-off and the way in return only to a path of the app, never to another site', async () => {
    for (const next of ['/\\evil.example/', '//evil.example/', '/\t/evil.example/', 'https://evil.example/', 'javascript:alert(1)']) {
      const open = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080`);
      const location = new URL(open.headers.get('location') ?? '');
      location.searchParams.set('next', next);
      const redeemed = await requestAs(fixture.server, hostOf(8080), `${location.pathname}${location.search}`);
      assert.equal(redeemed.status, 302, next);
      assert.equal(redeemed.headers.location, '/', JSON.stringify(next));
    }
    const refused = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080&path=${encodeURIComponent('/\\evil.example/')}`);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /querystring\.path/);
  });

  test("logging out ends the session's app hosts and closes their WebSockets", async () => {
    const session = await apiLogin(fixture.server, 'admin', fixture.server.adminPassword);
    const page = await enter(session, 8080);
    const socket = await enter(session, 8081);
    assert.equal((await requestAs(fixture.server, hostOf(8080), '/before', { cookie: page })).status, 200);
    const url = `ws://127.0.0.1:${port}/socket`;
    const headers = { host: hostOf(8081), cookie: socket, origin: `http://${hostOf(8081)}` };
    assert.equal(await echoWhenUp(url, headers, 'hello'), 'echo: hello');
    const ws = new WebSocket(url, { headers });
    assert.equal(
      await within(new Promise((resolve) => ws.once('open', () => resolve('open')).once('error', (error) => resolve(error.message))), 30_000, 'no answer'),
      'open',
    );
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    assert.equal((await api(fixture.server, '/api/auth/logout', { method: 'POST', cookie: session })).status, 204);
    assert.equal(await within(closed, 15_000, -1), 4401, 'the app socket closes at logout');
    const after = await requestAs(fixture.server, hostOf(8080), '/after', { cookie: page });
    assert.equal(after.status, 302, 'the app host no longer serves the ended session');
    assert.match(String(after.headers.location), /\/api\/apps\/open\?/);
  });

  test('a controller opens the app; withdrawing the share closes their app WebSocket; both are audited', async () => {
    const socket = await enter(fixture.cookies.carl, 8081);
    const url = `ws://127.0.0.1:${port}/socket`;
    const ws = new WebSocket(url, { headers: { host: hostOf(8081), cookie: socket, origin: `http://${hostOf(8081)}` } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('from carl'));
      ws.once('message', (data) => resolve((data as Buffer).toString()));
      ws.once('error', reject);
    });
    assert.equal(reply, 'echo: from carl');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    assert.equal((await api(fixture.server, `/api/instances/${fixture.id}/shares/carl`, { method: 'DELETE', cookie: fixture.cookie })).status, 204);
    assert.equal(await within(closed, 15_000, -1), 4403, "carl's app socket closes");

    const audit = (await (await fixture.get('/api/admin/audit?actor=carl')).json()) as { events: { action: string; target: string }[] };
    const actions = audit.events.map((event) => `${event.action} ${event.target}`);
    assert.ok(actions.includes(`app.open ${fixture.id}/web:8081`), actions.join(', '));
    assert.ok(actions.includes(`app.websocket ${fixture.id}/web:8081`), actions.join(', '));
  });
});
