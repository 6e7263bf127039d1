import { createHash, randomBytes } from 'node:crypto';
import type { SessionRepository } from '../store/sessions.js';
import type { UserRepository, UserRow } from '../store/users.js';

export interface SessionPolicy {
  /** A session ends this long after login, whatever happens. */
  absoluteMs: number;
  /** A session ends after this long without a request. */
  idleMs: number;
  /** `last_seen_at` is written at most this often, to keep requests free of writes. */
  touchEveryMs: number;
}

export const defaultSessionPolicy: SessionPolicy = {
  absoluteMs: 7 * 24 * 3600_000,
  idleMs: 24 * 3600_000,
  touchEveryMs: 60_000,
};

export interface NewSession {
  /** The cookie value. Only its hash is stored. */
  token: string;
  expiresAt: number;
}

export type Clock = () => number;

/** Server-side sessions behind an opaque cookie value. */
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
    private readonly policy: SessionPolicy = defaultSessionPolicy,
    private readonly now: Clock = Date.now,
  ) {}

  async create(userId: string, client: { ip?: string; userAgent?: string }): Promise<NewSession> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + this.policy.absoluteMs;
    await this.sessions.insert({
      id_hash: hashToken(token),
      user_id: userId,
      created_at: now,
      expires_at: expiresAt,
      last_seen_at: now,
      ip: client.ip ?? null,
      user_agent: client.userAgent?.slice(0, 400) ?? null,
    });
    return { token, expiresAt };
  }

  /** The user behind a cookie value, or undefined when the session is unknown, expired, idle too long or its user disabled. */
  async resolve(token: string): Promise<UserRow | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const idHash = hashToken(token);
    const session = await this.sessions.find(idHash);
    if (!session) return undefined;
    const now = this.now();
    if (session.expires_at <= now || session.last_seen_at + this.policy.idleMs <= now) {
      await this.sessions.delete(idHash);
      return undefined;
    }
    const user = await this.users.findById(session.user_id);
    if (!user || user.disabled === 1) return undefined;
    if (now - session.last_seen_at >= this.policy.touchEveryMs) await this.sessions.touch(idHash, now);
    return user;
  }

  /**
   * The users behind many cookie values at once, for sessions still valid (same rules as
   * `resolve`, without touching them): how the gateway re-checks its open connections.
   */
  async activeUsers(tokens: string[]): Promise<Map<string, UserRow>> {
    const byHash = new Map(tokens.filter((token) => /^[A-Za-z0-9_-]{43}$/.test(token)).map((token) => [hashToken(token), token]));
    const now = this.now();
    const sessions = (await this.sessions.findMany([...byHash.keys()])).filter((session) => session.expires_at > now && session.last_seen_at + this.policy.idleMs > now);
    const users = new Map((await this.users.findByIds([...new Set(sessions.map((session) => session.user_id))])).map((user) => [user.id, user]));
    const active = new Map<string, UserRow>();
    for (const session of sessions) {
      const token = byHash.get(session.id_hash);
      const user = users.get(session.user_id);
      if (token && user && user.disabled !== 1) active.set(token, user);
    }
    return active;
  }

  async revoke(token: string): Promise<void> {
    await this.sessions.delete(hashToken(token));
  }

  async revokeAllFor(userId: string): Promise<void> {
    await this.sessions.deleteForUser(userId);
  }

  async deleteExpired(): Promise<void> {
    const now = this.now();
    await this.sessions.deleteExpired(now, now - this.policy.idleMs);
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
