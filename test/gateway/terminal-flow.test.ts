import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { TerminalSessions } from '../../src/server/gateway/terminal-sessions.js';
import type { Runtime, TerminalChannel } from '../../src/server/runtime/runtime.js';

/**
 * A terminal that prints faster than the session's headless xterm can parse (`yes`, `cat` of a
 * big file): xterm throws once 50 MB wait unparsed, so the session must pause its source while
 * the screen is behind, like it does for a slow viewer.
 */
const floodBytes = 96 * 1024 * 1024;

function floodingTerminal(): TerminalChannel {
  const chunk = Buffer.from(`${'y'.repeat(78)}\r\n`.repeat(800));
  let pushed = 0;
  const stream = new Duplex({
    read() {
      while (pushed < floodBytes) {
        pushed += chunk.length;
        if (!this.push(chunk)) return;
      }
      this.push(Buffer.from('FLOOD-END\r\n'));
      this.push(null);
    },
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  return { stream, resize: async () => {} };
}

test('a terminal printing faster than its screen parses delivers everything and keeps the server up', { timeout: 300_000 }, async () => {
  const runtime = { openTerminal: async () => floodingTerminal() } as unknown as Runtime;
  const sessions = new TerminalSessions(runtime);
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (ws) => void sessions.attach({ instanceId: 'i1', machine: 'm' }, ws, { canWrite: true, onInput: () => {} }));
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    let received = 0;
    let resynced = false;
    let tail = '';
    client.on('message', (data: Buffer, isBinary: boolean) => {
      // A reader that falls 2 MiB behind is dropped and resynchronised from the screen (decision 0018).
      if (!isBinary && /"type":"resync"/.test(data.toString())) resynced = true;
      received += data.length;
      tail = (tail + data.subarray(-32).toString('latin1')).slice(-64);
    });
    const code = await new Promise<number>((resolve) => client.on('close', resolve));
    assert.equal(code, 1000, 'the session ended because its terminal did, not because of an error');
    assert.ok(received >= floodBytes || resynced, `received ${received} of ${floodBytes} bytes and no resync`);
    assert.match(tail, /FLOOD-END/);
  } finally {
    await sessions.close();
    server.close();
  }
});
