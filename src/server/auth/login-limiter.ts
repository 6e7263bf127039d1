export interface LoginLimits {
  /** Failed logins one client address may make, whatever the accounts, within `clientWindowMs`. */
  clientFailures: number;
  clientWindowMs: number;
  /** The failure of one account from one client after which waits begin; those before it cost nothing (typos). */
  freeFailures: number;
  /** The wait after failure number `freeFailures`; it doubles with each further one, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Failures of one account from all clients within `accountWindowMs` after which only the account's known clients may try. */
  accountFailures: number;
  accountWindowMs: number;
  /** How long a client address that logged in to an account stays known to it. */
  knownClientMs: number;
}

export const defaultLoginLimits: LoginLimits = {
  clientFailures: 30,
  clientWindowMs: 15 * 60_000,
  freeFailures: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 15 * 60_000,
  accountFailures: 50,
  accountWindowMs: 60 * 60_000,
  knownClientMs: 30 * 24 * 3600_000,
};

/** Known client addresses remembered per account (the most recent ones). */
const knownPerAccount = 10;
/** Past this many entries in a table, finished ones are swept (a spray of usernames or addresses). */
const sweepAbove = 100_000;

interface Window {
  count: number;
  resetAt: number;
}

interface Backoff {
  failures: number;
  /** When the next attempt from this client for this account may go ahead. */
  nextAt: number;
  /** When this record is forgotten. */
  forgetAt: number;
}

/**
 * Failed logins slow down the client that makes them, not the account's owner elsewhere
 * (docs/decisions/0016-login-backoff-per-account-and-client.md):
 * - per (account, client address): a few free failures, then a wait that doubles with each one;
 * - per client address: a ceiling on failures over all accounts (one client spraying passwords);
 * - per account: a ceiling on failures from all clients (distributed guessing), which the
 *   account's known clients (addresses it logged in from) pass.
 * Only failures count, so a class behind one address logging in at once is never limited. In
 * memory: each replica keeps its own counts.
 */
export class LoginLimiter {
  private readonly clients = new Map<string, Window>();
  private readonly accounts = new Map<string, Window>();
  private readonly pairs = new Map<string, Backoff>();
  private readonly known = new Map<string, Map<string, number>>();

  constructor(
    private readonly limits: LoginLimits = defaultLoginLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before this client may try this account, or 0 when the attempt may go ahead. */
  admit(client: string, account: string): number {
    const now = this.now();
    const pair = this.current(this.pairs, pairKey(account, client), now);
    if (pair && pair.nextAt > now) return this.secondsUntil(pair.nextAt);
    if (this.isKnown(account, client, now)) return 0;
    const byClient = this.current(this.clients, client, now);
    if (byClient && byClient.count >= this.limits.clientFailures) return this.secondsUntil(byClient.resetAt);
    const byAccount = this.current(this.accounts, account, now);
    if (byAccount && byAccount.count >= this.limits.accountFailures) return this.secondsUntil(byAccount.resetAt);
    return 0;
  }

  recordFailure(client: string, account: string): void {
    const now = this.now();
    const key = pairKey(account, client);
    const failures = (this.current(this.pairs, key, now)?.failures ?? 0) + 1;
    const wait = failures < this.limits.freeFailures ? 0 : Math.min(this.limits.backoffMaxMs, this.limits.backoffBaseMs * 2 ** (failures - this.limits.freeFailures));
    // Remembered past its wait, so the next failure doubles it; forgotten after a quiet spell as long as the longest wait.
    this.put(this.pairs, key, { failures, nextAt: now + wait, forgetAt: now + wait + this.limits.backoffMaxMs });
    this.bump(this.clients, client, this.limits.clientWindowMs, now);
    this.bump(this.accounts, account, this.limits.accountWindowMs, now);
  }

  /** The client's failures for this account are forgiven, and the client becomes one of the account's known ones. */
  recordSuccess(client: string, account: string): void {
    this.pairs.delete(pairKey(account, client));
    const known = this.known.get(account) ?? new Map<string, number>();
    known.delete(client);
    known.set(client, this.now() + this.limits.knownClientMs);
    // Insertion order is recency: the oldest goes first.
    while (known.size > knownPerAccount) known.delete(known.keys().next().value as string);
    this.known.set(account, known);
  }

  private isKnown(account: string, client: string, now: number): boolean {
    const until = this.known.get(account)?.get(client);
    return until !== undefined && until > now;
  }

  private current<T extends Window | Backoff>(table: Map<string, T>, key: string, now: number): T | undefined {
    const entry = table.get(key);
    if (entry && endOf(entry) <= now) {
      table.delete(key);
      return undefined;
    }
    return entry;
  }

  private bump(table: Map<string, Window>, key: string, windowMs: number, now: number): void {
    const window = this.current(table, key, now) ?? { count: 0, resetAt: now + windowMs };
    window.count += 1;
    this.put(table, key, window);
  }

  private put<T extends Window | Backoff>(table: Map<string, T>, key: string, entry: T): void {
    table.set(key, entry);
    if (table.size > sweepAbove) {
      const now = this.now();
      for (const [k, e] of table) if (endOf(e) <= now) table.delete(k);
    }
  }

  private secondsUntil(at: number): number {
    return Math.max(1, Math.ceil((at - this.now()) / 1000));
  }
}

function endOf(entry: Window | Backoff): number {
  return 'resetAt' in entry ? entry.resetAt : entry.forgetAt;
}

/** A NUL cannot appear in a username or an address. */
function pairKey(account: string, client: string): string {
  return `${account}\u0000${client}`;
}
