import { randomBytes } from 'node:crypto';

/** Which app a ticket or app session opens, for whom, and on the authority of which labhub session. */
export interface AppGrant {
  userId: string;
  instanceId: string;
  machine: string;
  port: number;
  /**
   * The labhub session cookie's value the app was opened with. An app session lasts only as long
   * as it: every use checks it in the store (so a logout or revocation on any replica ends the
   * app's session), and the app's sockets are closed with it.
   */
  sessionToken: string;
}

const ticketMs = 60_000;
const sessionMs = 12 * 3600_000;
const maxEntries = 100_000;

/**
 * Per-app sessions, for requests that labhub's session cookie does not come with: apps on their
 * own subdomain, and path-mode apps, whose sandboxed pages send no cookie. On a subdomain the main
 * origin hands out a one-time ticket (a minute, single use) in a redirect and the app's host
 * trades it for a host-only cookie bound to that one app; in path mode the session is a path
 * segment (`open`). In memory: a replica restart asks the browser to pass by the main origin once
 * more, which it does by itself.
 */
export class AppSessions {
  private readonly tickets = new Map<string, AppGrant & { expiresAt: number }>();
  private readonly sessions = new Map<string, AppGrant & { expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  issueTicket(grant: AppGrant): string {
    return this.put(this.tickets, grant, ticketMs);
  }

  /** A session at once (path mode, where the owner's request that asks for it is already authorized). */
  open(grant: AppGrant): string {
    return this.put(this.sessions, grant, sessionMs);
  }

  /** The grant of a ticket, once: a second use or an expired ticket gives undefined. */
  redeemTicket(ticket: string): { token: string; grant: AppGrant } | undefined {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    const { expiresAt: _expired, ...grant } = entry;
    return { token: this.put(this.sessions, grant, sessionMs), grant };
  }

  resolve(token: string | undefined): AppGrant | undefined {
    const entry = token ? this.sessions.get(token) : undefined;
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.sessions.delete(token!);
      return undefined;
    }
    return entry;
  }

  /** Forgets an app session whose labhub session has ended. */
  forget(token: string): void {
    this.sessions.delete(token);
  }

  private put(map: Map<string, AppGrant & { expiresAt: number }>, grant: AppGrant, ttlMs: number): string {
    if (map.size >= maxEntries) {
      const now = this.now();
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    const key = randomBytes(32).toString('base64url');
    map.set(key, { ...grant, expiresAt: this.now() + ttlMs });
    return key;
  }
}
