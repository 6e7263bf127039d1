import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startServer, type E2eServer } from '../support/server.js';

/** An HTTP server in perl (perl-base is in labhub/shell) that echoes what it was asked, cookies included. */
const echoServer = `perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){my $r="";while(<$c>){$r.=$_;last if /^\\r?\\n$/} $b="seen: $r"; print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nSet-Cookie: app=1\\r\\nSet-Cookie: labhub_session=stolen\\r\\nContent-Length: ".length($b)."\\r\\n\\r\\n$b"; close $c}' &`;

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

/** A server (with `env` on top) running the web-app lab for admin, with the HTTP and WebSocket echo apps started inside. */
async function appFixture(env: Record<string, string> = {}) {
  const labs = mkdtempSync(path.join(tmpdir(), 'labhub-apps-'));
  writeFileSync(path.join(labs, 'web-app.yaml'), appLab);
  const server = await startServer({ env: { LABHUB_LABS_DIR: labs, ...env } });
  const login = async (username: string, password: string) => {
    const response = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  const cookie = await login('admin', server.adminPassword);
  await fetch(`${server.url}/api/admin/users`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'eve', password: 'eve-password' }) });
  const other = await login('eve', 'eve-password');
  const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { headers: { cookie, ...headers }, redirect: 'manual' });
  const created = await fetch(`${server.url}/api/instances`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify({ lab: 'web-app' }) });
  const id = ((await created.json()) as { instance: { id: string } }).instance.id;
  for (let status = ''; status !== 'running'; ) {
    status = ((await (await get(`/api/instances/${id}`)).json()) as { instance: { status: string } }).instance.status;
    assert.notEqual(status, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // Start the apps inside the machine by typing into its terminal, as a learner would.
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/instances/${id}/machines/web/terminal`, { headers: { cookie, origin: server.url } });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(Buffer.from(`${echoServer}\r`));
  const wsEcho = readFileSync(new URL('./ws-echo.pl', import.meta.url), 'utf8');
  ws.send(Buffer.from(`cat > /tmp/ws-echo.pl <<'PERL'\r${wsEcho.replaceAll('\n', '\r')}PERL\r(perl /tmp/ws-echo.pl 8081 &)\r`));
  ws.send(Buffer.from('until (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; do sleep 0.2; done; echo APP-$((1+1))\r'));
  const deadline = Date.now() + 30_000;
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    ws.on('message', (data: Buffer) => {
      seen += data.toString();
      if (seen.includes('APP-2')) resolve();
    });
    setTimeout(() => reject(new Error('the app did not start within 30 s')), deadline - Date.now());
  });
  ws.close();
  return {
    server,
    cookie,
    other,
    id,
    get,
    async close() {
      await fetch(`${server.url}/api/instances/${id}`, { method: 'DELETE', headers: { cookie, origin: server.url } });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await server.close();
    },
  };
}

describe('HTTP apps, path mode', { timeout: 600_000 }, () => {
  let fixture: Awaited<ReturnType<typeof appFixture>>;
  let server: E2eServer;
  let cookie = '';
  let other = '';
  let id = '';
  let get: (route: string, headers?: Record<string, string>) => Promise<Response>;

  before(async () => {
    fixture = await appFixture();
    ({ server, cookie, other, id, get } = fixture);
  });
  after(() => fixture.close());

  test('requests reach the app with the prefix removed and without labhub\'s session cookie', async () => {
    const response = await get(`/apps/${id}/web/8080/some/page?x=1`, { cookie: `${cookie}; theme=dark` });
    assert.equal(response.status, 200);
    const seen = await response.text();
    assert.match(seen, /^seen: GET \/some\/page\?x=1 HTTP\/1\.1/);
    assert.match(seen, /x-forwarded-prefix: \/apps\/[a-z2-7]+\/web\/8080/i);
    assert.match(seen, /cookie: theme=dark/i);
    assert.doesNotMatch(seen, /labhub_session/);
    const setCookies = response.headers.getSetCookie();
    assert.deepEqual(setCookies, ['app=1'], 'the app cannot overwrite the session cookie');
  });

  test('the instance lists each app with its link', async () => {
    const { instance } = (await (await get(`/api/instances/${id}`)).json()) as { instance: { machines: { apps: unknown }[] } };
    assert.deepEqual(instance.machines[0]?.apps, [
      { port: 8080, url: `/apps/${id}/web/8080/` },
      { port: 8081, url: `/apps/${id}/web/8081/` },
    ]);
  });

  test('only declared ports, only for people who may see the instance', async () => {
    assert.equal((await get(`/apps/${id}/web/22/`)).status, 404);
    assert.equal((await get(`/apps/${id}/nosuch/8080/`)).status, 404);
    assert.equal((await get(`/apps/${id}/web/8080/`, { cookie: other })).status, 404);
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/`)).status, 401);
    const redirect = await get(`/apps/${id}/web/8080`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), `/apps/${id}/web/8080/`);
  });

  test('an app\'s WebSocket is relayed, from labhub\'s own origin only', async () => {
    const url = `${server.url.replace('http', 'ws')}/apps/${id}/web/8081/socket`;
    const foreign = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { cookie, origin: 'http://evil.test' } });
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    assert.equal(foreign, 403);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ws = new WebSocket(url, { headers: { cookie, origin: server.url } });
      const reply = await new Promise<string>((resolve) => {
        ws.once('open', () => ws.send('hello app'));
        ws.once('message', (data) => resolve(String(data)));
        ws.once('close', () => resolve(''));
        ws.once('error', () => resolve(''));
      });
      ws.close();
      if (reply) {
        assert.equal(reply, 'echo: hello app');
        break;
      }
      assert.ok(Date.now() < deadline, 'the app\'s WebSocket answers within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  });

  test("opening an app is audited, and withdrawing a share closes the user's app WebSockets", async () => {
    const post = (route: string, body: unknown) => fetch(`${server.url}${route}`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post(`/api/instances/${id}/shares`, { username: 'eve', access: 'control' })).status, 201);
    assert.equal((await fetch(`${server.url}/apps/${id}/web/8080/`, { headers: { cookie: other } })).status, 200);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/apps/${id}/web/8081/socket`, { headers: { cookie: other, origin: server.url } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('from eve'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    assert.equal(reply, 'echo: from eve');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    assert.equal((await fetch(`${server.url}/api/instances/${id}/shares/eve`, { method: 'DELETE', headers: { cookie, origin: server.url } })).status, 204);
    const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000))]);
    assert.equal(code, 4403, "eve's app socket closes within 5 s");

    const audit = (await (await get('/api/admin/audit?actor=eve')).json()) as { events: { action: string; target: string }[] };
    const actions = audit.events.map((event) => `${event.action} ${event.target}`);
    assert.ok(actions.includes(`app.open ${id}/web:8080`), actions.join(', '));
    assert.ok(actions.includes(`app.websocket ${id}/web:8081`), actions.join(', '));
  });
});

/** A request to the test server with any Host header (fetch does not let one set it). */
function requestAs(server: E2eServer, host: string, route: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
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
  let appHost = '';

  before(async () => {
    fixture = await appFixture({ LABHUB_APPS_DOMAIN: 'apps.test' });
    appHost = `8080-web-${fixture.id}.apps.test:${new URL(fixture.server.url).port}`;
  });
  after(() => fixture.close());

  test('the main origin hands out a one-time ticket; the app host trades it for its own cookie', async () => {
    const open = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080&path=${encodeURIComponent('/hello?x=1')}`);
    assert.equal(open.status, 302);
    const location = new URL(open.headers.get('location') ?? '');
    assert.equal(location.host, appHost);
    assert.equal(location.pathname, '/__labhub/ticket');

    const redeemed = await requestAs(fixture.server, appHost, `${location.pathname}${location.search}`);
    assert.equal(redeemed.status, 302);
    assert.equal(redeemed.headers.location, '/hello?x=1');
    const setCookie = String(redeemed.headers['set-cookie']);
    assert.match(setCookie, /^labhub_app=[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/, 'host-only: no Domain attribute');
    const appCookie = setCookie.split(';')[0] ?? '';

    const again = await requestAs(fixture.server, appHost, `${location.pathname}${location.search}`);
    assert.equal(again.status, 401, 'a ticket works once');

    const page = await requestAs(fixture.server, appHost, '/hello?x=1', { cookie: `${appCookie}; theme=dark` });
    assert.equal(page.status, 200);
    assert.match(page.body, /^seen: GET \/hello\?x=1 HTTP\/1\.1/);
    assert.match(page.body, /cookie: theme=dark/i);
    assert.doesNotMatch(page.body, /labhub_app|x-forwarded-prefix/i);

    const otherApp = await requestAs(fixture.server, `8081-web-${fixture.id}.apps.test`, '/', { cookie: appCookie });
    assert.equal(otherApp.status, 302, 'an app cookie opens only its own app');
    assert.match(String(otherApp.headers.location), /\/api\/apps\/open\?instance=/);
  });

  test('the instance links each app through the ticket endpoint', async () => {
    const { instance } = (await (await fixture.get(`/api/instances/${fixture.id}`)).json()) as { instance: { machines: { apps: { url: string }[] }[] } };
    assert.equal(instance.machines[0]?.apps[0]?.url, `/api/apps/open?instance=${fixture.id}&machine=web&port=8080`);
  });

  test('without an app session the app host sends the browser to the main origin; others cannot open it; path mode is off', async () => {
    const anonymous = await requestAs(fixture.server, appHost, '/deep/page');
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.location, `${fixture.server.url}/api/apps/open?instance=${fixture.id}&machine=web&port=8080&path=${encodeURIComponent('/deep/page')}`);
    const stranger = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=8080`, { cookie: fixture.other });
    assert.equal(stranger.status, 404);
    const undeclared = await fixture.get(`/api/apps/open?instance=${fixture.id}&machine=web&port=22`);
    assert.equal(undeclared.status, 404);
    assert.equal((await fixture.get(`/apps/${fixture.id}/web/8080/`)).status, 404);
  });
});
