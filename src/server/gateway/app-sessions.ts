import { randomBytes } from 'node:crypto';

/** Which app a ticket or app session opens, and for whom. */
export interface AppGrant {
  userId: string;
  instanceId: string;
  machine: string;
  port: number;
}

const ticketMs = 60_000;
const sessionMs = 12 * 3600_000;
const maxEntries = 100_000;

/**
 * Per-app sessions for apps served on their own subdomain, where labhub's session cookie is
 * not sent. The main origin hands out a one-time ticket (a minute, single use) in a redirect;
 * the app's host trades it for a host-only cookie bound to that one app. In memory: a replica
 * restart asks the browser to pass by the main origin once more, which it does by itself.
 */
export class AppSessions {
  private readonly tickets = new Map<string, AppGrant & { expiresAt: number }>();
  private readonly sessions = new Map<string, AppGrant & { expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  issueTicket(grant: AppGrant): string {
    return this.put(this.tickets, grant, ticketMs);
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

  /** Ends every app session of a user (logout, disabled). */
  revokeUser(userId: string): void {
    for (const [token, entry] of this.sessions) if (entry.userId === userId) this.sessions.delete(token);
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
