/**
 * Keeping a machine connection (terminal or desktop) open: when to connect, and what to do when
 * the gateway closes it, by its close code (docs/architecture.md §8). Pure of DOM and React, so it runs
 * under node:test with a fake clock; the hooks wrap it for the page.
 */

/** Close codes the gateway sends after accepting a connection. */
export const gatewayCloseCodes = { goingAway: 1001, error: 1011, signedOut: 4401, forbidden: 4403, noSuchMachine: 4404, notRunning: 4409 } as const;

/** Why a connection will not come back by itself. */
export type EndReason = 'no-such-machine' | 'forbidden' | 'signed-out';

export type CloseVerdict = { kind: 'retry' } | { kind: 'not-running' } | { kind: 'end'; why: EndReason };

/**
 * What a close code means for trying again. Everything the gateway does not name (a refused
 * upgrade shows as 1006, a restart as 1001, an error as 1011) may pass: try again after a pause.
 */
export function closeVerdict(code: number): CloseVerdict {
  switch (code) {
    case gatewayCloseCodes.noSuchMachine:
      return { kind: 'end', why: 'no-such-machine' };
    case gatewayCloseCodes.forbidden:
      return { kind: 'end', why: 'forbidden' };
    case gatewayCloseCodes.signedOut:
      return { kind: 'end', why: 'signed-out' };
    case gatewayCloseCodes.notRunning:
      return { kind: 'not-running' };
    default:
      return { kind: 'retry' };
  }
}

export interface BackoffPolicy {
  /** The pause before the first retry. */
  initialMs: number;
  /** No pause is longer than this. */
  maxMs: number;
  /** Each pause is up to this fraction shorter or longer, so many browsers do not come back in step after a server restart. */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 15_000, jitter: 0.2 };

/** The pause before retry number `attempt` (1, 2, …): doubling from `initialMs`, capped at `maxMs`, with jitter. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = defaultBackoff, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random());
  return Math.round(Math.min(policy.maxMs, jittered));
}

/** Where a kept connection is; the page shows each differently. */
export type ConnectionStatus =
  /** The machine does not run (per the API), so there is nothing to connect to yet. */
  | { phase: 'waiting' }
  /** Opening; `attempt` counts the failures before it. `wasOpen`: a connection was open before, so this is getting back. */
  | { phase: 'connecting'; attempt: number; wasOpen: boolean }
  | { phase: 'open' }
  /** Closed unexpectedly (or never opened); the next try is at `retryAt` (ms, the keeper's clock). */
  | { phase: 'lost'; attempt: number; retryAt: number; reason: string; wasOpen: boolean }
  /** The gateway says the machine is not running (4409); tried again when it runs, or at `retryAt` if the API still says it does. */
  | { phase: 'not-running'; reason: string; retryAt: number | null }
  /** Closed for good (4404, 4403): only the user can try again. */
  | { phase: 'ended'; why: EndReason; reason: string };

/** One connection attempt, as the keeper sees it. */
export interface KeptConnection {
  /** Closes it on purpose; its `closed` is not reported any more. */
  close(): void;
}

export interface ConnectionEvents {
  opened(): void;
  closed(code: number, reason: string): void;
}

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface KeeperOptions {
  /** Opens a new connection and reports to `events`; called for the first try and every retry. */
  open(events: ConnectionEvents): KeptConnection;
  onStatus(status: ConnectionStatus): void;
  /** A connection closed without being asked to (the page may want to refresh the instance's state). */
  onLost?(code: number): void;
  /** A connection open at least this long was a good one: after it, backoff starts afresh. */
  stableMs?: number;
  backoff?: BackoffPolicy;
  clock?: Clock;
  random?: () => number;
}

/**
 * Keeps one connection open while the machine runs: connects when it starts running, reconnects
 * with backoff after losses, waits for the machine after 4409 and gives up after 4404 and 4403.
 */
interface Attempt {
  connection: KeptConnection | null;
  openedAt: number | null;
  dropped: boolean;
}

export class ConnectionKeeper {
  private readonly options: KeeperOptions;
  private readonly clock: Clock;
  private status: ConnectionStatus = { phase: 'waiting' };
  private running = false;
  /** The attempt whose events count; events of older ones are ignored. */
  private current: Attempt | null = null;
  /** Connections in a row that failed (or were not stable); sets the backoff. */
  private failures = 0;
  /** Some connection of this keeper was open once. */
  private wasOpen = false;
  private timer: unknown = null;
  private disposed = false;

  constructor(options: KeeperOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  get state(): ConnectionStatus {
    return this.status;
  }

  /** What the API says about the machine. Connecting starts when it runs; a machine that stops is not chased. */
  setRunning(running: boolean): void {
    if (this.disposed || running === this.running) return;
    this.running = running;
    const { phase } = this.status;
    if (running && (phase === 'waiting' || phase === 'not-running')) {
      this.failures = 0;
      this.connect();
    } else if (!running && phase === 'lost') {
      this.cancelTimer();
      this.setStatus({ phase: 'waiting' });
    } else if (!running && this.status.phase === 'not-running' && this.status.retryAt !== null) {
      this.cancelTimer();
      this.setStatus({ ...this.status, retryAt: null });
    }
  }

  /** The user asked: drop whatever there is and connect now. */
  reconnect(): void {
    if (this.disposed) return;
    this.drop();
    this.failures = 0;
    this.connect();
  }

  dispose(): void {
    this.drop();
    this.disposed = true;
  }

  private connect(): void {
    this.cancelTimer();
    const attempt: Attempt = { connection: null, openedAt: null, dropped: false };
    this.current = attempt;
    this.setStatus({ phase: 'connecting', attempt: this.failures, wasOpen: this.wasOpen });
    attempt.connection = this.options.open({
      opened: () => this.opened(attempt),
      closed: (code, reason) => this.closed(attempt, code, reason),
    });
    if (attempt.dropped) attempt.connection.close();
  }

  private opened(attempt: Attempt): void {
    if (attempt !== this.current || this.disposed) return;
    attempt.openedAt = this.clock.now();
    this.wasOpen = true;
    this.setStatus({ phase: 'open' });
  }

  private closed(attempt: Attempt, code: number, reason: string): void {
    if (attempt !== this.current || this.disposed) return;
    this.current = null;
    if (attempt.openedAt !== null && this.clock.now() - attempt.openedAt >= (this.options.stableMs ?? 10_000)) this.failures = 0;
    this.options.onLost?.(code);

    const verdict = closeVerdict(code);
    if (verdict.kind === 'end') {
      this.setStatus({ phase: 'ended', why: verdict.why, reason });
      return;
    }
    if (verdict.kind === 'not-running') {
      // The API lags the machine and may still say "running" for a moment: then ask again later as well.
      this.failures++;
      this.setStatus({ phase: 'not-running', reason, retryAt: this.running ? this.schedule() : null });
      return;
    }
    if (!this.running) {
      this.setStatus({ phase: 'waiting' });
      return;
    }
    this.failures++;
    this.setStatus({ phase: 'lost', attempt: this.failures, retryAt: this.schedule(), reason, wasOpen: this.wasOpen });
  }

  /** Sets the timer for the next try and returns when that is. */
  private schedule(): number {
    const delay = backoffDelay(this.failures, this.options.backoff, this.options.random);
    this.cancelTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.disposed) this.connect();
    }, delay);
    return this.clock.now() + delay;
  }

  private drop(): void {
    this.cancelTimer();
    const attempt = this.current;
    this.current = null;
    if (!attempt) return;
    attempt.dropped = true;
    attempt.connection?.close();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    if (!this.disposed) this.options.onStatus(status);
  }
}
