import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import xtermHeadless from '@xterm/headless';
import WebSocket from 'ws';
import { eventually } from '../support/eventually.js';
import { client, startLab, type Client } from '../support/gateway-client.js';
import { startServer, type E2eServer } from '../support/server.js';

const { Terminal } = xtermHeadless;
const labsDir = new URL('../../labs', import.meta.url).pathname;

/**
 * A terminal client as the browser is one: an xterm (80×24, the gateway's size when nobody
 * resized) drawing the binary frames, counting `resync` control messages, and keeping the last
 * few KB of output to wait for markers in.
 */
function terminalClient(ws: WebSocket) {
  const screen = new Terminal({ cols: 80, rows: 24, scrollback: 1000, allowProposedApi: true });
  let tail = '';
  let resyncs = 0;
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      if ((JSON.parse(data.toString('utf8')) as { type?: unknown }).type === 'resync') resyncs++;
      return;
    }
    screen.write(data);
    tail = (tail + data.toString('latin1')).slice(-8192);
    for (const waiter of waiters) waiter();
  });
  return {
    get resyncs() {
      return resyncs;
    },
    until(pattern: RegExp, timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(tail)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; last output ${JSON.stringify(tail.slice(-200))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** The rows on screen and the cursor, once everything received so far is drawn. */
    async rendered(): Promise<{ rows: string[]; cursor: [number, number] }> {
      await new Promise<void>((resolve) => screen.write('', resolve));
      const buffer = screen.buffer.active;
      const rows = Array.from({ length: screen.rows }, (_, i) => buffer.getLine(buffer.baseY + i)?.translateToString(true) ?? '');
      return { rows, cursor: [buffer.cursorX, buffer.cursorY] };
    },
  };
}

describe('a watcher that stops reading a shared terminal', { timeout: 900_000 }, () => {
  let server: E2eServer;
  let ann: Client;
  let bob: Client;
  let shellId: string;
  const terminalUrl = () => `${server.url.replace('http', 'ws')}/api/instances/${shellId}/machines/shell/terminal`;
  /**
   * A terminal socket with its client listening from the start: the server runs in this process,
   * so the first screen can arrive in the same read as the upgrade's answer, before `open` fires.
   */
  const open = async (who: Client) => {
    const ws = new WebSocket(terminalUrl(), { headers: { cookie: who.cookie, origin: server.url } });
    const screen = terminalClient(ws);
    await once(ws, 'open');
    return { ws, screen };
  };

  before(async () => {
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    const admin = await client(server, 'admin', server.adminPassword);
    for (const name of ['ann', 'bob'])
      assert.equal((await admin.api('POST', '/api/admin/users', { username: name, password: `${name}-password` })).status, 201);
    ann = await client(server, 'ann', 'ann-password');
    bob = await client(server, 'bob', 'bob-password');
    shellId = await startLab(ann, 'shell');
    assert.equal((await ann.api('POST', `/api/instances/${shellId}/shares`, { username: 'bob', access: 'view' })).status, 201);
  });
  after(async () => {
    await ann.api('DELETE', `/api/instances/${shellId}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.close();
  });

  test('does not stall the owner; once it reads again it is resynchronised to the same screen', async () => {
    // The owner's terminal once it answers: the first exec session of a container that just started may end at once under load, and a browser would reconnect.
    let owner: WebSocket;
    let ownerScreen: ReturnType<typeof terminalClient>;
    for (let attempt = 1; ; attempt++) {
      ({ ws: owner, screen: ownerScreen } = await open(ann));
      owner.send(Buffer.from('echo READY$((1+1))\r'));
      const closed = new Promise<boolean>((resolve) => owner.once('close', () => resolve(false)));
      if (
        await Promise.race([
          ownerScreen.until(/READY2/, 30_000).then(
            () => true,
            () => false,
          ),
          closed,
        ])
      )
        break;
      owner.terminate();
      assert.ok(attempt < 3, 'the terminal never answered');
    }

    const { ws: viewer, screen: viewerScreen } = await open(bob);
    await viewerScreen.until(/READY2/, 30_000);
    // The watcher stops reading: its socket fills, then the gateway's queue towards it.
    viewer.pause();

    // Millions of short lines (the common case of a build log), then 20 MB of long ones: far more
    // than the kernel's socket buffers hold. The marker is computed, so the echoed command does
    // not match it. Today the owner waits until the keepalive drops the silent watcher (30–60 s).
    const long = 'abcdefghijklmnopqrstuvwxyz'.repeat(3);
    owner.send(Buffer.from(`yes | head -n 2000000; yes ${long} | head -n 250000; echo FLOOD$((6*7))-END\r`));
    await ownerScreen.until(/FLOOD42-END/, 300_000);

    viewer.resume();
    const disconnected = new Promise<never>((_, reject) =>
      viewer.once('close', (code) => reject(new Error(`the watcher was disconnected (${code}) instead of resynchronised`))),
    );
    owner.send(Buffer.from("printf '\\e[1;32mSYNC%s\\e[0m\\n' $((3*3))\r"));
    await ownerScreen.until(/SYNC9/, 60_000);
    await Promise.race([viewerScreen.until(/SYNC9/, 60_000), disconnected]);
    assert.ok(viewerScreen.resyncs >= 1, 'the watcher was told it missed output and given the screen again');

    // Both end up drawing the same screen (the owner's prompt may still be on its way to either).
    const [seenByOwner, seenByViewer] = await eventually(
      "the watcher's screen to be the owner's",
      () => Promise.all([ownerScreen.rendered(), viewerScreen.rendered()]),
      ([owner, viewer]) => JSON.stringify(owner) === JSON.stringify(viewer),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.ok(
      seenByOwner.rows.some((row) => row.includes('SYNC9')),
      JSON.stringify(seenByViewer),
    );
    owner.close();
    viewer.close();
  });
});
