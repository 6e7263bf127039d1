import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { WebSocket } from 'ws';
import { askedResyncMinMs, backlogLimit, backlogResume, resyncMessage, TerminalViewer, type ScreenSource } from './terminal-viewer.js';

/** A socket whose writes complete only when the test says so, in order, as a real one's do. */
class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  /** Every frame handed over: binary frames as bytes, text frames as strings. */
  readonly frames: (Buffer | string)[] = [];
  private readonly unwritten: { bytes: number; done: () => void }[] = [];

  send(data: Buffer | string, options?: { binary?: boolean }, done?: () => void): void {
    this.frames.push(typeof data === 'string' ? data : data);
    this.unwritten.push({ bytes: typeof data === 'string' ? 0 : data.length, done: done ?? (() => {}) });
  }

  /** Bytes handed over and not yet written. */
  get unwrittenBytes(): number {
    return this.unwritten.reduce((sum, write) => sum + write.bytes, 0);
  }

  /** Completes the oldest `count` writes. */
  write(count = Infinity): void {
    for (let i = 0; i < count && this.unwritten.length > 0; i++) this.unwritten.shift()!.done();
  }
}

/**
 * A screen whose snapshots arrive when the test says so. A snapshot is `S<n>`: the screen after
 * the first n chunks of output, which is what the viewer must continue from.
 */
class FakeScreen implements ScreenSource {
  outputs = 0;
  private readonly waiting: { at: number; done: (screen: Buffer) => void }[] = [];

  snapshot(done: (screen: Buffer) => void): void {
    this.waiting.push({ at: this.outputs, done });
  }

  get pending(): number {
    return this.waiting.length;
  }

  parse(): void {
    for (const { at, done } of this.waiting.splice(0)) done(Buffer.from(`S${at}`));
  }
}

const chunkSize = 64 * 1024;
/** Chunk number n of the terminal's output: its number in the first bytes, so the test can read the stream back. */
const chunk = (n: number, size = chunkSize) => {
  const bytes = Buffer.alloc(size, 0x2e);
  bytes.write(`C${n};`);
  return bytes;
};

function viewerOf() {
  const ws = new FakeSocket();
  const screen = new FakeScreen();
  const viewer = new TerminalViewer(ws as unknown as WebSocket, screen);
  const output = (size = chunkSize) => viewer.output(chunk(screen.outputs++, size));
  return { ws, screen, viewer, output };
}

/**
 * Reads the frames back as the client sees them: the first is a screen, each `resync` message is
 * followed by a screen, and after every screen `S<n>` comes chunk n, n+1, … with no gap or repeat.
 */
function checkStream(frames: (Buffer | string)[]): { screens: number } {
  let next = -1;
  let screens = 0;
  let expectScreen = true;
  for (const [i, frame] of frames.entries()) {
    if (typeof frame === 'string') {
      assert.equal(frame, resyncMessage, `frame ${i}`);
      assert.ok(screens > 0, 'no resync before the first screen');
      expectScreen = true;
      continue;
    }
    const text = frame.subarray(0, 16).toString('latin1');
    if (expectScreen) {
      const at = /^S(\d+)$/.exec(frame.toString('latin1'));
      assert.ok(at, `frame ${i} should be a screen, is ${JSON.stringify(text)}`);
      assert.ok(Number(at[1]) >= next, 'a screen never goes back in time');
      next = Number(at[1]);
      screens++;
      expectScreen = false;
      continue;
    }
    assert.match(text, new RegExp(`^C${next};`), `frame ${i}: chunk ${next} expected`);
    next++;
  }
  return { screens };
}

test('a viewer gets the screen first, then live output, with nothing sent twice or skipped', () => {
  const { ws, screen, output } = viewerOf();
  output();
  output();
  assert.equal(ws.frames.length, 0, 'output waits for the screen');
  screen.parse();
  output();
  ws.write();
  output();
  assert.deepEqual(
    ws.frames.map((f) => f.toString().slice(0, 3)),
    ['S0', 'C0;', 'C1;', 'C2;', 'C3;'],
  );
});

test('a viewer that stops reading holds at most the backlog limit, then gets a resync and the screen once it reads again', () => {
  const { ws, screen, viewer, output } = viewerOf();
  screen.parse();
  ws.write();
  for (let i = 0; i < 1000; i++) output();
  // 64 MB of output went by; the socket took a bounded part of it.
  assert.ok(viewer.queued >= backlogLimit && viewer.queued < backlogLimit + chunkSize, `${viewer.queued} bytes queued`);
  assert.equal(viewer.queued, ws.unwrittenBytes);
  const framesWhenBehind = ws.frames.length;
  assert.equal(framesWhenBehind, 1 + Math.ceil(backlogLimit / chunkSize));

  // Written down to just above the resume mark: still behind, nothing new sent.
  ws.write(framesWhenBehind - Math.floor(backlogResume / chunkSize) - 2);
  assert.ok(viewer.queued > backlogResume);
  output();
  assert.equal(ws.frames.length, framesWhenBehind);
  assert.equal(screen.pending, 0);

  // Drained: the screen is asked for at the point the output has reached; output after that point is held for it.
  ws.write(1);
  assert.equal(screen.pending, 1);
  output();
  output();
  assert.equal(ws.frames.length, framesWhenBehind);
  screen.parse();
  assert.equal(ws.frames[framesWhenBehind], resyncMessage);
  assert.equal(ws.frames[framesWhenBehind + 1]?.toString(), 'S1001');
  output();
  assert.equal(viewer.resyncs, 1);
  assert.equal(checkStream(ws.frames).screens, 2);
  assert.match(ws.frames.at(-1)!.toString('latin1'), /^C1003;/, 'live again');
});

test('a client that asks for the screen gets it, at most once a second, announced as a resync', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { ws, screen, viewer, output } = viewerOf();
  // Asked before the first screen went out: that screen is the answer, announced.
  viewer.askForScreen();
  screen.parse();
  assert.deepEqual(ws.frames.map(String), [resyncMessage, 'S0']);
  output();
  // Asked again at once: the answer waits until a second has passed since the last screen; output still flows meanwhile.
  viewer.askForScreen();
  viewer.askForScreen();
  assert.equal(screen.pending, 0);
  output();
  t.mock.timers.tick(askedResyncMinMs);
  assert.equal(screen.pending, 1, 'one screen for both requests');
  output();
  screen.parse();
  output();
  assert.equal(viewer.resyncs, 2);
  assert.deepEqual(
    ws.frames.map((f) => (typeof f === 'string' ? f : f.toString().slice(0, 3))),
    [resyncMessage, 'S0', 'C0;', 'C1;', resyncMessage, 'S2', 'C2;', 'C3;'],
  );
  checkStream(ws.frames.slice(1));
});

test('a viewer closed while behind is not resynchronised', () => {
  const { ws, screen, output } = viewerOf();
  screen.parse();
  for (let i = 0; i < 100; i++) output();
  ws.readyState = 3;
  ws.write();
  assert.equal(screen.pending, 0);
});

test('backlog bookkeeping: any interleaving of output, writes and parsing keeps the stream exact and the backlog bounded', () => {
  // Weighted so that the socket often falls behind (and catches up) within one run.
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('output' as const), size: fc.integer({ min: 16, max: chunkSize }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), count: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('parse' as const) }) },
  );
  let resynced = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 200, maxLength: 800, size: 'max' }), (steps) => {
      const { ws, screen, viewer, output } = viewerOf();
      // Output held while a screen was awaited, and sent after it: bounded in a real session by the screen's own backlog.
      let held = 0;
      let heldSent = 0;
      for (const s of steps) {
        if (s.kind === 'output') {
          if (screen.pending > 0) held += s.size;
          output(s.size);
        } else if (s.kind === 'write') ws.write(s.count);
        else if (screen.pending > 0) {
          screen.parse();
          heldSent = held;
          held = 0;
        }
        assert.equal(viewer.queued, ws.unwrittenBytes);
        assert.ok(viewer.queued < backlogLimit + chunkSize + heldSent + 16, `${viewer.queued} bytes queued`);
      }
      screen.parse();
      ws.write();
      screen.parse();
      ws.write();
      output();
      const { screens } = checkStream(ws.frames);
      assert.equal(screens, viewer.resyncs + 1);
      if (viewer.resyncs > 0) resynced++;
      assert.match(ws.frames.at(-1)!.toString('latin1'), new RegExp(`^C${screen.outputs - 1};`), 'a reader that caught up is live');
    }),
    { numRuns: 300 },
  );
  assert.ok(resynced > 100, `only ${resynced} runs fell behind`);
});
