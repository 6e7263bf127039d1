import type { WebSocket } from 'ws';

/**
 * Bytes sent to one terminal socket and not yet written to it, past which the socket is behind:
 * what follows is dropped until it drains, then it is resynchronised from the screen. Twice the
 * screen's own high water (`sendHighWater`), so a reader as fast as the screen never crosses it
 * in the bursts the source makes between the screen's pauses.
 */
export const backlogLimit = 2 * 1024 * 1024;
/** A socket that fell behind is resynchronised once its backlog is down to this. */
export const backlogResume = backlogLimit / 8;

/** The control message that tells a client the next binary frame is the whole screen again (docs/architecture.md §8). */
export const resyncMessage = JSON.stringify({ type: 'resync' });
/** A client may ask for the screen again (its own terminal fell behind), once per this, so that asking costs the server no more than a reconnect would. */
export const askedResyncMinMs = 1000;

/** The screen a viewer is (re)synchronised from. */
export interface ScreenSource {
  /**
   * Calls `done` with the screen as it stands after all output handed out so far, as bytes that
   * draw it on a terminal of any state (a full reset first). Output handed out after this call
   * is not in it.
   */
  snapshot(done: (screen: Buffer) => void): void;
}

type ViewerSocket = Pick<WebSocket, 'send' | 'readyState' | 'OPEN'>;

/**
 * One socket reading a shared terminal. It never slows the terminal nor the other readers: its
 * backlog (bytes handed to the socket, not yet written) is bounded by `backlogLimit`; past it,
 * output is dropped, and once the socket drains it gets the screen from the server-side copy
 * and live output again. No copies and no per-byte work: each chunk is counted once.
 *
 *   catching up ──screen sent──▶ live ──backlog ≥ limit──▶ behind ──backlog ≤ resume──▶ catching up
 *                                  └──────── the client asks (askForScreen) ─────────────▲
 *
 * While catching up (waiting for the screen to have parsed everything before its snapshot),
 * output is held by reference; the screen's own backpressure bounds how much that can be.
 */
export class TerminalViewer {
  private state: 'catching-up' | 'live' | 'behind' = 'catching-up';
  private held: Buffer[] = [];
  private backlog = 0;
  /** Whether the next screen is a resync, announced as such (every screen but the first, unless the client asked). */
  private announce = false;
  private lastScreenAt = 0;
  private askedTimer: NodeJS.Timeout | undefined;
  /** Resynchronisations so far (the first screen not counted). */
  resyncs = 0;

  constructor(
    private readonly ws: ViewerSocket,
    private readonly screen: ScreenSource,
  ) {
    this.catchUp();
  }

  /** Bytes handed to the socket and not yet written. */
  get queued(): number {
    return this.backlog;
  }

  /** The terminal's output, in order. */
  output(chunk: Buffer): void {
    if (this.state === 'live') this.send(chunk);
    else if (this.state === 'catching-up') this.held.push(chunk);
  }

  /**
   * The client dropped output its terminal could not draw in time and waits for the screen
   * (`{"type":"resync"}` from the browser). A screen already on its way is announced as one.
   */
  askForScreen(): void {
    if (this.state !== 'live') {
      this.announce = true;
      return;
    }
    if (this.askedTimer) return;
    const wait = this.lastScreenAt + askedResyncMinMs - Date.now();
    if (wait <= 0) return this.catchUp();
    this.askedTimer = setTimeout(() => {
      this.askedTimer = undefined;
      this.askForScreen();
    }, wait);
    this.askedTimer.unref();
  }

  /** Stops a pending asked-for screen (the socket closed). */
  dispose(): void {
    clearTimeout(this.askedTimer);
    this.held = [];
  }

  private catchUp(): void {
    this.state = 'catching-up';
    this.screen.snapshot((screen) => {
      if (this.ws.readyState !== this.ws.OPEN) return;
      if (this.announce) {
        this.resyncs++;
        this.ws.send(resyncMessage);
      }
      this.announce = true;
      this.lastScreenAt = Date.now();
      const held = this.held;
      this.held = [];
      this.state = 'live';
      this.send(screen);
      for (const chunk of held) this.send(chunk);
    });
  }

  private send(chunk: Buffer): void {
    this.backlog += chunk.length;
    this.ws.send(chunk, { binary: true }, () => this.written(chunk.length));
    if (this.backlog >= backlogLimit) this.state = 'behind';
  }

  private written(bytes: number): void {
    this.backlog -= bytes;
    if (this.state === 'behind' && this.backlog <= backlogResume && this.ws.readyState === this.ws.OPEN) this.catchUp();
  }
}
