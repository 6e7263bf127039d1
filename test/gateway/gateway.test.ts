import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { client, collect, connect, startLab, type Client } from '../support/gateway-client.js';
import { startServer, type E2eServer } from '../support/server.js';

const labsDir = new URL('../../labs', import.meta.url).pathname;

// A collection on demand, so that what is measured is memory still held (buffered output), not garbage awaiting the collector.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Bytes the server process holds after a full collection: its JavaScript heap and its buffers. */
function liveMemory(): number {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('gateway', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let admin: Client;
  let ann: Client;
  let bob: Client;
  let shellId: string;
  const wsUrl = (id: string, machine: string, kind: 'terminal' | 'vnc') => `${server.url.replace('http', 'ws')}/api/instances/${id}/machines/${machine}/${kind}`;

  before(async () => {
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    admin = await client(server, 'admin', server.adminPassword);
    for (const name of ['ann', 'bob']) assert.equal((await admin.api('POST', '/api/admin/users', { username: name, password: `${name}-password` })).status, 201);
    ann = await client(server, 'ann', 'ann-password');
    bob = await client(server, 'bob', 'bob-password');
    shellId = await startLab(ann, 'shell');
  });
  after(async () => {
    await ann.api('DELETE', `/api/instances/${shellId}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.close();
  });

  test('upgrades without a session, from another origin, or by another user are refused before anything opens', async () => {
    const url = wsUrl(shellId, 'shell', 'terminal');
    assert.equal(await connect(url, { origin: server.url }), 401);
    assert.equal(await connect(url, { cookie: ann.cookie, origin: 'http://evil.test' }), 403);
    assert.equal(await connect(url, { cookie: ann.cookie, origin: 'null' }), 403);
    assert.equal(await connect(url, { cookie: ann.cookie }), 403, 'no Origin at all');
    assert.equal(await connect(url, { cookie: bob.cookie, origin: server.url }), 404, 'another user learns nothing');
    assert.equal(await connect(wsUrl(shellId, 'nosuch', 'terminal'), { cookie: ann.cookie, origin: server.url }), 404);
    assert.equal(await connect(wsUrl(shellId, 'shell', 'vnc'), { cookie: ann.cookie, origin: server.url }), 404, 'the shell lab has no desktop');
    const audit = await admin.api('GET', '/api/admin/audit?action=terminal.open');
    if (audit.status === 200) assert.equal(audit.body.events.length, 0, 'no terminal was opened');
  });

  test('terminal: round trip, resize, and a reconnect shows the screen exactly once', async () => {
    const headers = { cookie: ann.cookie, origin: server.url };
    const first = (await connect(wsUrl(shellId, 'shell', 'terminal'), headers)) as WebSocket;
    const out = collect(first);
    first.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
    first.send(Buffer.from('echo MARK$((1+1))\r'));
    // The first terminal of a machine opens an engine exec session, slow while VMs boot beside it.
    await out.until(/MARK2/, 60_000);
    // The engine applies a resize asynchronously (and Podman may drop the very first one: the runtime sends it again).
    for (let attempt = 0; !/[\r\n]30 100\r\n/.test(out.text()); attempt++) {
      assert.ok(attempt < 20, `the PTY did not take the new size: ${JSON.stringify(out.text().slice(-200))}`);
      first.send(Buffer.from('stty size\r'));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    first.close();
    await new Promise((resolve) => first.once('close', resolve));

    const second = (await connect(wsUrl(shellId, 'shell', 'terminal'), headers)) as WebSocket;
    const replay = collect(second);
    await replay.until(/MARK2/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(replay.text().split('MARK2').length - 1, 1, 'the screen is replayed once, with no duplicated output');
    second.send(Buffer.from('echo again-$((2*3))\r'));
    await replay.until(/again-6/);
    second.close();
  });

  test('two viewers of one terminal see the same output', async () => {
    const headers = { cookie: ann.cookie, origin: server.url };
    const [a, b] = (await Promise.all([connect(wsUrl(shellId, 'shell', 'terminal'), headers), connect(wsUrl(shellId, 'shell', 'terminal'), headers)])) as WebSocket[];
    assert.ok(a && b);
    const outA = collect(a);
    const outB = collect(b);
    await new Promise((resolve) => setTimeout(resolve, 300));
    a.send(Buffer.from('echo shared-$((5*5))\r'));
    await Promise.all([outA.until(/shared-25/), outB.until(/shared-25/)]);
    a.close();
    b.close();
  });

  test('a slow reader does not grow server memory without bound, and output resumes', async () => {
    const ws = (await connect(wsUrl(shellId, 'shell', 'terminal'), { cookie: ann.cookie, origin: server.url })) as WebSocket;
    const out = collect(ws);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = liveMemory();
    ws.send(Buffer.from('head -c 60000000 /dev/zero | base64 -w 200; echo FLOOD-$((3+4))\r'));
    await out.until(/AAAA/);
    ws.pause();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const growth = liveMemory() - before;
    assert.ok(growth < 64 * 1024 * 1024, `server memory grew by ${Math.round(growth / 1e6)} MB while 80 MB waited`);
    ws.resume();
    await out.until(/FLOOD-7/, 180_000);
    ws.close();
  });

  test('desktop: the VNC relay answers RFB 003.008', async () => {
    const desktopId = await startLab(bob, 'desktop');
    try {
      let banner = '';
      for (let attempt = 0; attempt < 50 && !banner; attempt++) {
        const ws = await connect(wsUrl(desktopId, 'desktop', 'vnc'), { cookie: bob.cookie, origin: server.url });
        assert.ok(ws instanceof WebSocket, `upgrade refused: ${String(ws)}`);
        try {
          banner = (await collect(ws).until(/RFB \d{3}\.\d{3}\n/, 3000)).slice(0, 12);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        ws.close();
      }
      assert.equal(banner, 'RFB 003.008\n');
    } finally {
      await bob.api('DELETE', `/api/instances/${desktopId}`);
    }
  });
});
