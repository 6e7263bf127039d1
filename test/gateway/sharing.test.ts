import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket, { createWebSocketStream } from 'ws';
import { readScreen } from '../runtime-conformance/rfb.js';
import { client, collect, connect, startLab, type Client } from '../support/gateway-client.js';
import { startServer, type E2eServer } from '../support/server.js';

const labsDir = new URL('../../labs', import.meta.url).pathname;

/** Resolves with the close code of a socket. */
function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve(-1);
    ws.once('close', (code) => resolve(code));
  });
}

/** Fails unless `promise` settles within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('sharing: view and control grants, view-only input dropped server-side, access withdrawn closes sockets', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let admin: Client;
  let ann: Client;
  let bob: Client;
  let shellId: string;
  let desktopId: string;
  const wsUrl = (id: string, machine: string, kind: 'terminal' | 'vnc') => `${server.url.replace('http', 'ws')}/api/instances/${id}/machines/${machine}/${kind}`;
  const open = async (who: Client, id: string, machine: string, kind: 'terminal' | 'vnc') => {
    const ws = await connect(wsUrl(id, machine, kind), { cookie: who.cookie, origin: server.url });
    assert.ok(ws instanceof WebSocket, `upgrade refused with ${String(ws)}`);
    return ws;
  };

  /** The owner's terminal once it answers: the first exec session of a container that just started may end at once under load, and a browser would reconnect. */
  const workingTerminal = async (who: Client) => {
    for (let attempt = 1; ; attempt++) {
      const ws = await open(who, shellId, 'shell', 'terminal');
      const out = collect(ws);
      ws.send(Buffer.from('echo READY$((1+1))\r'));
      const answered = await Promise.race([out.until(/READY2/, 30_000).then(() => true, () => false), new Promise<boolean>((resolve) => ws.once('close', () => resolve(false)))]);
      if (answered) return { ws, out };
      ws.terminate();
      assert.ok(attempt < 3, 'the terminal never answered');
    }
  };

  before(async () => {
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    admin = await client(server, 'admin', server.adminPassword);
    for (const name of ['ann', 'bob', 'carl']) assert.equal((await admin.api('POST', '/api/admin/users', { username: name, password: `${name}-password` })).status, 201);
    ann = await client(server, 'ann', 'ann-password');
    bob = await client(server, 'bob', 'bob-password');
    [shellId, desktopId] = await Promise.all([startLab(ann, 'shell'), startLab(ann, 'desktop')]);
  });
  after(async () => {
    await ann.api('DELETE', `/api/instances/${shellId}`);
    await ann.api('DELETE', `/api/instances/${desktopId}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.close();
  });

  test('only the owner (or an admin) manages shares; bad grants name the field', async () => {
    assert.equal((await bob.api('GET', `/api/instances/${shellId}/shares`)).status, 404, 'a stranger learns nothing');
    assert.equal((await bob.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'control' })).status, 404);
    const noSuchUser = await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'nobody', access: 'view' });
    assert.equal(noSuchUser.status, 400);
    assert.equal(noSuchUser.body.error.details.problems[0].path, 'body.username');
    const self = await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'ann', access: 'view' });
    assert.equal(self.status, 400);
    const badAccess = await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'owner' });
    assert.equal(badAccess.status, 400);
    assert.match(JSON.stringify(badAccess.body), /access/);
    assert.equal((await ann.api('DELETE', `/api/instances/${shellId}/shares/bob`)).status, 404, 'nothing to withdraw yet');
  });

  test('a viewer sees the instance and the owner typing, cannot use it, and loses it when the share is withdrawn', async () => {
    const granted = await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'view' });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.deepEqual({ username: granted.body.share.username, access: granted.body.share.access, grantedBy: granted.body.share.grantedBy }, { username: 'bob', access: 'view', grantedBy: 'ann' });
    assert.deepEqual((await ann.api('GET', `/api/instances/${shellId}/shares`)).body.shares.map((s: { username: string }) => s.username), ['bob']);

    const seen = await bob.api('GET', `/api/instances/${shellId}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.instance.access, 'view');
    assert.ok((await bob.api('GET', '/api/instances')).body.instances.some((i: { id: string; access: string }) => i.id === shellId && i.access === 'view'), 'listed among bob\'s instances');
    assert.equal((await bob.api('POST', `/api/instances/${shellId}/stop`)).status, 403);
    assert.equal((await bob.api('DELETE', `/api/instances/${shellId}`)).status, 403);
    assert.equal((await bob.api('GET', `/api/instances/${shellId}/shares`)).status, 403);

    const { ws: owner, out: ownerOut } = await workingTerminal(ann);
    const viewer = await open(bob, shellId, 'shell', 'terminal');
    const viewerOut = collect(viewer);
    await viewerOut.until(/READY2/, 10_000);
    owner.send(Buffer.from('echo OWNER$((2+3))\r'));
    await viewerOut.until(/OWNER5/);
    // The viewer types and resizes; then the owner types a second marker. When it arrives, whatever the viewer sent would have been echoed before it.
    viewer.send(Buffer.from('echo VIEWER$((4+4))\r'));
    viewer.send(JSON.stringify({ type: 'resize', cols: 33, rows: 11 }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    owner.send(Buffer.from('stty size; echo AFTER$((1+6))\r'));
    await ownerOut.until(/AFTER7/);
    await viewerOut.until(/AFTER7/);
    assert.doesNotMatch(ownerOut.text(), /VIEWER8/, "the viewer's keystrokes never reached the terminal");
    assert.doesNotMatch(ownerOut.text(), /\b11 33\b/, "the viewer's resize was ignored");

    const gone = closed(viewer);
    assert.equal((await ann.api('DELETE', `/api/instances/${shellId}/shares/bob`)).status, 204);
    assert.equal(await within(5000, gone, 'closing the viewer'), 4403);
    assert.equal(owner.readyState, WebSocket.OPEN, "the owner's terminal stays open");
    assert.equal((await bob.api('GET', `/api/instances/${shellId}`)).status, 404);
    assert.equal(await connect(wsUrl(shellId, 'shell', 'terminal'), { cookie: bob.cookie, origin: server.url }), 404);
    owner.close();
  });

  test('a controller types into the terminal; lowering the grant to view closes the socket that could type', async () => {
    assert.equal((await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'control' })).status, 201);
    assert.equal((await bob.api('GET', `/api/instances/${shellId}`)).body.instance.access, 'control');
    const controller = await open(bob, shellId, 'shell', 'terminal');
    const out = collect(controller);
    controller.send(Buffer.from('echo CONTROL$((5+5))\r'));
    await out.until(/CONTROL10/, 60_000);
    const gone = closed(controller);
    assert.equal((await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'view' })).status, 201);
    assert.equal(await within(5000, gone, 'closing the controller'), 4403);
    assert.equal((await ann.api('DELETE', `/api/instances/${shellId}/shares/bob`)).status, 204);
  });

  test('a viewer of a desktop gets the screen through the handshake, and input it cannot parse closes it', async () => {
    assert.equal((await ann.api('POST', `/api/instances/${desktopId}/shares`, { username: 'bob', access: 'view' })).status, 201);
    // A desktop that has just started may still be a blank screen for a moment.
    let screen = await readScreen(createWebSocketStream(await open(bob, desktopId, 'desktop', 'vnc')));
    for (let attempt = 1; screen.colours <= 1 && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      screen = await readScreen(createWebSocketStream(await open(bob, desktopId, 'desktop', 'vnc')));
    }
    assert.ok(screen.width > 0 && screen.colours > 1, `a real framebuffer: ${JSON.stringify({ width: screen.width, colours: screen.colours })}`);
    const viewer = await open(bob, desktopId, 'desktop', 'vnc');
    const gone = closed(viewer);
    viewer.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    assert.equal(await within(5000, gone, 'refusing a non-RFB stream'), 1008);
    assert.equal((await ann.api('DELETE', `/api/instances/${desktopId}/shares/bob`)).status, 204);
  });

  test('signing out closes the session\'s sockets, and disabling a user closes theirs, within 5 s', async () => {
    const carl = await client(server, 'carl', 'carl-password');
    const annAgain = await client(server, 'ann', 'ann-password');
    const ownSession = await open(annAgain, shellId, 'shell', 'terminal');
    const otherSession = await open(ann, shellId, 'shell', 'terminal');
    const loggedOut = closed(ownSession);
    assert.equal((await annAgain.api('POST', '/api/auth/logout')).status, 204);
    assert.equal(await within(5000, loggedOut, 'closing the signed-out socket'), 4401);
    assert.equal(otherSession.readyState, WebSocket.OPEN, "another session's socket stays");
    otherSession.close();

    assert.equal((await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'carl', access: 'control' })).status, 201);
    const carlSocket = await open(carl, shellId, 'shell', 'terminal');
    const disabled = closed(carlSocket);
    assert.equal((await admin.api('PATCH', '/api/admin/users/carl', { disabled: true })).status, 200);
    assert.equal(await within(5000, disabled, 'closing the disabled user\'s socket'), 4401);
  });
});
