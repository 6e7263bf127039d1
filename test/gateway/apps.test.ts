import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

describe('HTTP apps, path mode', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let cookie = '';
  let other = '';
  let id = '';
  const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { headers: { cookie, ...headers }, redirect: 'manual' });

  before(async () => {
    const labs = mkdtempSync(path.join(tmpdir(), 'labhub-apps-'));
    writeFileSync(path.join(labs, 'web-app.yaml'), appLab);
    server = await startServer({ env: { LABHUB_LABS_DIR: labs } });
    const login = async (username: string, password: string) => {
      const response = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    };
    cookie = await login('admin', server.adminPassword);
    await fetch(`${server.url}/api/admin/users`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'eve', password: 'eve-password' }) });
    other = await login('eve', 'eve-password');
    const created = await fetch(`${server.url}/api/instances`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify({ lab: 'web-app' }) });
    id = ((await created.json()) as { instance: { id: string } }).instance.id;
    for (let status = ''; status !== 'running'; ) {
      status = ((await (await get(`/api/instances/${id}`)).json()) as { instance: { status: string } }).instance.status;
      assert.notEqual(status, 'failed');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Start the app inside the machine by typing into its terminal, as a learner would.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/instances/${id}/machines/web/terminal`, { headers: { cookie, origin: server.url } });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(Buffer.from(`${echoServer}\r`));
    const wsEcho = readFileSync(new URL('./ws-echo.pl', import.meta.url), 'utf8');
    ws.send(Buffer.from(`cat > /tmp/ws-echo.pl <<'PERL'\r${wsEcho.replaceAll('\n', '\r')}PERL\r(perl /tmp/ws-echo.pl 8081 &)\r`));
    const deadline = Date.now() + 30_000;
    for (let answered = false; !answered; ) {
      assert.ok(Date.now() < deadline, 'the app answers through the proxy within 30 s');
      answered = (await get(`/apps/${id}/web/8080/`)).status === 200;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    ws.close();
  });
  after(async () => {
    await fetch(`${server.url}/api/instances/${id}`, { method: 'DELETE', headers: { cookie, origin: server.url } });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.close();
  });

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
});
