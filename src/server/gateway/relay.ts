import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** WebSocket close codes the browser acts on (docs/architecture.md §8; the workspace reconnects, waits or stops by them). */
export const closeCodes = { signedOut: 4401, forbidden: 4403, notFound: 4404, notRunning: 4409, goingAway: 1001, error: 1011, policy: 1008 } as const;

/** Bytes queued towards one browser before the source is paused: bounded memory per connection. */
export const sendHighWater = 1024 * 1024;
const sendLowWater = sendHighWater / 4;

/**
 * Sends binary chunks to a WebSocket and says when the source must wait: the count of bytes
 * handed to the socket but not yet written grows with each send and shrinks in each send's
 * callback. No copies, no per-byte work.
 */
export class BoundedSender {
  private pending = 0;
  private paused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly onDrained: () => void,
  ) {}

  /** Sends `chunk`; false when the source should pause until `onDrained` is called. */
  send(chunk: Buffer | Uint8Array): boolean {
    this.pending += chunk.length;
    this.ws.send(chunk, { binary: true }, () => {
      this.pending -= chunk.length;
      if (this.paused && this.pending <= sendLowWater) {
        this.paused = false;
        this.onDrained();
      }
    });
    if (this.pending >= sendHighWater) this.paused = true;
    return !this.paused;
  }

  /** Bytes handed to the socket and not yet written. */
  get queued(): number {
    return this.pending;
  }
}

/**
 * Relays raw bytes between a browser WebSocket and a backend stream (VNC, an app's socket),
 * with backpressure both ways: a slow browser pauses the backend, a slow backend pauses reading
 * from the browser. Either side closing closes the other.
 */
export function relay(ws: WebSocket, backend: Duplex, options: { onInput?: () => void; filterInput?: (chunk: Buffer) => Buffer } = {}): void {
  const sender = new BoundedSender(ws, () => backend.resume());
  backend.on('data', (chunk: Buffer) => {
    if (!sender.send(chunk)) backend.pause();
  });
  ws.on('message', (message: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    let data = message;
    if (options.filterInput) {
      try {
        data = options.filterInput(message);
      } catch {
        return closeBoth(closeCodes.policy, 'input refused');
      }
      if (data.length === 0) return;
    } else options.onInput?.();
    if (!backend.write(data)) {
      ws.pause();
      backend.once('drain', () => ws.resume());
    }
  });
  let closed = false;
  const closeBoth = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    backend.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };
  backend.on('end', () => closeBoth(1000, 'the machine closed the connection'));
  backend.on('close', () => closeBoth(1000, 'the machine closed the connection'));
  backend.on('error', () => closeBoth(1011, 'the connection to the machine failed'));
  ws.on('close', () => closeBoth(1000, ''));
  ws.on('error', () => closeBoth(1011, ''));
}

/**
 * Relays WebSocket messages between a browser and an app's own WebSocket, keeping text and
 * binary apart, with backpressure: a side that has more than `sendHighWater` queued pauses the
 * other until its sends complete. Either side closing closes the other with the same code.
 */
export function relayMessages(browser: WebSocket, app: WebSocket): void {
  const pipe = (from: WebSocket, to: WebSocket) => {
    from.on('message', (data: Buffer, isBinary: boolean) => {
      to.send(data, { binary: isBinary }, () => {
        if (to.bufferedAmount <= sendLowWater && from.isPaused) from.resume();
      });
      if (to.bufferedAmount >= sendHighWater) from.pause();
    });
  };
  pipe(browser, app);
  pipe(app, browser);
  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === other.CLOSED || other.readyState === other.CLOSING) return;
    // 1005 and 1006 describe a close; they may not be sent in one.
    other.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  };
  browser.on('close', closeOther(app));
  app.on('close', closeOther(browser));
  browser.on('error', () => app.terminate());
  app.on('error', () => browser.close(1011, 'the app closed the connection'));
}
