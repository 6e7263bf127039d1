export interface LoginLimits {
  /** Failed logins allowed per username within the window. */
  perUsername: number;
  /** Login attempts allowed per client IP within the window. */
  perIp: number;
  windowMs: number;
}

export const defaultLoginLimits: LoginLimits = { perUsername: 5, perIp: 30, windowMs: 15 * 60_000 };

/**
 * Fixed-window counters for logins, per IP (every attempt) and per username (failures).
 * In memory: with several replicas each keeps its own counts, which only loosens the limit
 * by the replica count (docs/decisions/0004-login-rate-limit-in-memory.md).
 */
export class LoginLimiter {
  private readonly counters = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limits: LoginLimits = defaultLoginLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before trying again, or 0 when this attempt may go ahead. Counts the attempt against the IP. */
  admit(ip: string, username: string): number {
    const byUser = this.peek(`u:${username}`);
    if (byUser && byUser.count >= this.limits.perUsername) return this.secondsUntil(byUser.resetAt);
    const byIp = this.bump(`ip:${ip}`);
    if (byIp.count > this.limits.perIp) return this.secondsUntil(byIp.resetAt);
    return 0;
  }

  recordFailure(username: string): void {
    this.bump(`u:${username}`);
  }

  recordSuccess(username: string): void {
    this.counters.delete(`u:${username}`);
  }

  private peek(key: string): { count: number; resetAt: number } | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.resetAt <= this.now()) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  private bump(key: string): { count: number; resetAt: number } {
    const counter = this.peek(key) ?? { count: 0, resetAt: this.now() + this.limits.windowMs };
    counter.count += 1;
    this.counters.set(key, counter);
    if (this.counters.size > 100_000) this.sweep();
    return counter;
  }

  /** Drops finished windows so memory stays bounded under a spray of usernames or IPs. */
  private sweep(): void {
    const now = this.now();
    for (const [key, counter] of this.counters) if (counter.resetAt <= now) this.counters.delete(key);
  }

  private secondsUntil(at: number): number {
    return Math.max(1, Math.ceil((at - this.now()) / 1000));
  }
}
