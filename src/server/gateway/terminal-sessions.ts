import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import type { WebSocket } from 'ws';
import type { BorrowedTerminal, ConsoleSource } from '../instances/console-check.js';
import type { MachineRef, Runtime, TermSize, TerminalChannel } from '../runtime/runtime.js';
import { closeCodes, sendHighWater } from './relay.js';
import { TerminalViewer, type ScreenSource } from './terminal-viewer.js';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

/** How long a terminal stays open after its last viewer left, so a reload or a short drop loses nothing. */
export const defaultLingerMs = 10 * 60_000;
const scrollback = 1000;

/** Draws a snapshot on a terminal in any state: everything it showed before is gone (RIS). */
const fullReset = Buffer.from('\x1bc');

interface Viewer {
  ws: WebSocket;
  reader: TerminalViewer;
  canWrite: boolean;
}

/**
 * One live terminal of one machine: the PTY or serial console, a headless xterm that keeps its
 * screen (so a new viewer gets exactly the screen as it is, once), and every browser watching it.
 * Only the screen sets the pace (the source pauses while it is behind); a browser that falls
 * behind has its output dropped and gets the screen again once it reads (terminal-viewer.ts), so
 * no reader slows the machine or the others (docs/decisions/0018).
 */
class TerminalSession implements ScreenSource {
  private readonly viewers = new Set<Viewer>();
  /** Output listeners of labhub itself typing here (console checks); they hold the session open like viewers. */
  private readonly borrowers = new Set<(chunk: Buffer) => void>();
  private readonly screen: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private lingerTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /**
   * Bytes handed to the screen and not yet parsed. The screen is a reader like any viewer: when it
   * falls behind, the source pauses (xterm throws once 50 MB wait, which would end the process).
   */
  private screenPending = 0;
  private screenBehind = false;
  /** Viewers waiting for a snapshot at the end of the output so far; cleared when more output comes (a later request then needs a later snapshot). */
  private snapshotWaiters: ((screen: Buffer) => void)[] | undefined;

  constructor(
    private readonly channel: TerminalChannel,
    size: TermSize,
    private readonly lingerMs: number,
    private readonly onEnd: () => void,
  ) {
    this.screen = new Terminal({ cols: size.cols, rows: size.rows, scrollback, allowProposedApi: true });
    this.screen.loadAddon(this.serializer);
    channel.stream.on('data', (chunk: Buffer) => {
      this.screenPending += chunk.length;
      this.screen.write(chunk, () => this.screenParsed(chunk.length));
      this.snapshotWaiters = undefined;
      for (const borrower of this.borrowers) borrower(chunk);
      for (const viewer of this.viewers) viewer.reader.output(chunk);
      if (this.screenPending >= sendHighWater) {
        this.screenBehind = true;
        channel.stream.pause();
      }
    });
    const end = () => this.end(1000, 'the terminal session ended');
    channel.stream.on('close', end);
    channel.stream.on('end', end);
    channel.stream.on('error', () => this.end(1011, 'the terminal connection failed'));
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Adds a viewer: sends the current screen once, then live output. */
  attach(ws: WebSocket, canWrite: boolean, onInput: () => void): void {
    clearTimeout(this.lingerTimer);
    // Closed while the terminal was being opened: its close event has passed.
    if (ws.readyState !== ws.OPEN) return this.lingerIfUnused();
    const viewer: Viewer = { ws, canWrite, reader: new TerminalViewer(ws, this) };
    this.viewers.add(viewer);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!viewer.canWrite) return;
        onInput();
        if (!this.channel.stream.write(data)) {
          ws.pause();
          this.channel.stream.once('drain', () => ws.resume());
        }
        return;
      }
      this.control(data, viewer);
    });
    ws.on('close', () => this.detach(viewer));
  }

  /** Lets labhub type here and read what follows, beside any viewers (who see it happen). */
  borrow(onOutput: (chunk: Buffer) => void): BorrowedTerminal {
    clearTimeout(this.lingerTimer);
    this.borrowers.add(onOutput);
    return {
      write: (text) => {
        if (!this.ended) this.channel.stream.write(text);
      },
      release: () => {
        if (!this.borrowers.delete(onOutput)) return;
        this.lingerIfUnused();
      },
    };
  }

  /**
   * The screen once it has parsed everything received so far: the snapshot and the output after
   * it neither overlap nor leave a gap. Viewers asking before more output arrives share one.
   */
  snapshot(done: (screen: Buffer) => void): void {
    if (this.snapshotWaiters) return void this.snapshotWaiters.push(done);
    const waiters = [done];
    this.snapshotWaiters = waiters;
    this.screen.write('', () => {
      if (this.snapshotWaiters === waiters) this.snapshotWaiters = undefined;
      if (this.ended) return;
      const screen = Buffer.concat([fullReset, Buffer.from(this.serializer.serialize({ scrollback }))]);
      for (const waiter of waiters) waiter(screen);
    });
  }

  end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.lingerTimer);
    for (const viewer of this.viewers) viewer.ws.close(code, reason);
    this.viewers.clear();
    this.channel.stream.destroy();
    this.screen.dispose();
    this.onEnd();
  }

  private control(data: Buffer, viewer: Viewer): void {
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { type, cols, rows } = message as { type?: unknown; cols?: unknown; rows?: unknown };
    // Any viewer may ask for the screen again: it changes nothing for the others.
    if (type === 'resync') return viewer.reader.askForScreen();
    if (type !== 'resize' || !viewer.canWrite) return;
    if (!Number.isInteger(cols) || !Number.isInteger(rows)) return;
    const size = { cols: Math.min(Math.max(cols as number, 2), 500), rows: Math.min(Math.max(rows as number, 2), 200) };
    this.screen.resize(size.cols, size.rows);
    // What the viewer types after a resize must reach the PTY after it: hold their input until it
    // is applied, but never longer than a moment (a slow engine must not freeze the keyboard).
    viewer.ws.pause();
    const held = setTimeout(() => viewer.ws.resume(), 2000);
    this.channel
      .resize(size)
      .catch(() => {})
      .finally(() => {
        clearTimeout(held);
        viewer.ws.resume();
      });
  }

  private detach(viewer: Viewer): void {
    this.viewers.delete(viewer);
    viewer.reader.dispose();
    this.lingerIfUnused();
  }

  private lingerIfUnused(): void {
    if (this.viewers.size > 0 || this.borrowers.size > 0 || this.ended) return;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.end(1000, 'closed after nobody watched it'), this.lingerMs);
    this.lingerTimer.unref();
  }

  private screenParsed(bytes: number): void {
    this.screenPending -= bytes;
    if (this.screenBehind && this.screenPending <= sendHighWater / 4) {
      this.screenBehind = false;
      if (!this.ended) this.channel.stream.resume();
    }
  }
}

/** Every live terminal, by machine: the one place terminal sessions are opened, shared and closed. */
export class TerminalSessions implements ConsoleSource {
  private readonly sessions = new Map<string, Promise<TerminalSession>>();

  constructor(
    private readonly runtime: Runtime,
    private readonly lingerMs = defaultLingerMs,
  ) {}

  /** The machine's session, opened if there is none. Throws the runtime's error when it cannot open. */
  async attach(ref: MachineRef, ws: WebSocket, options: { canWrite: boolean; onInput: () => void }): Promise<void> {
    (await this.session(ref)).attach(ws, options.canWrite, options.onInput);
  }

  /**
   * The machine's terminal for labhub itself to type into: VM step checks run through the serial
   * console, which serves one connection at a time, so they use the session viewers share (opened
   * if there is none) and never wait for a learner's console, nor the learner for them.
   */
  async borrow(ref: MachineRef, onOutput: (chunk: Buffer) => void): Promise<BorrowedTerminal> {
    return (await this.session(ref)).borrow(onOutput);
  }

  private session(ref: MachineRef): Promise<TerminalSession> {
    const key = `${ref.instanceId}/${ref.machine}`;
    let session = this.sessions.get(key);
    if (!session) {
      const size = { cols: 80, rows: 24 };
      session = this.runtime.openTerminal(ref, size).then((channel) => new TerminalSession(channel, size, this.lingerMs, () => this.sessions.delete(key)));
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /** Ends the terminals of an instance (stopped, deleted) or of everything (shutdown). */
  async close(instanceId?: string): Promise<void> {
    for (const [key, session] of this.sessions) {
      if (instanceId && !key.startsWith(`${instanceId}/`)) continue;
      (await session.catch(() => undefined))?.end(closeCodes.goingAway, instanceId ? 'the instance stopped' : 'the server is going away');
    }
  }
}
