import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { InstanceAccess } from '../../common/instances.js';
import type { SessionService } from '../auth/session-service.js';
import { InstanceAccessPolicy } from '../instances/access.js';
import type { InstanceRepository } from '../store/instances.js';
import { closeCodes } from './relay.js';

/** An open terminal, desktop or app socket, and on whose authority it was opened. */
export interface GatewayConnection {
  ws: WebSocket;
  /** The labhub session it was opened on: the upgrade's cookie, or the one the app session came from (docs/decisions/0014-apps-isolation.md). */
  sessionToken: string;
  userId: string;
  instanceId: string;
  /** The access it was opened with (a view-only socket drops input). */
  access: InstanceAccess;
}

/** How often open sockets are checked against the store: a logout, a disabled user or a revoked share elsewhere takes effect within this (docs/architecture.md §5 asks for 5 s). */
export const recheckEveryMs = 2000;

/**
 * Every open gateway socket, so that losing the right to it closes it: a logout, a disabled
 * user, an admin demoted, a share revoked or lowered. The authority of each socket is checked
 * again every `recheckEveryMs` against the store (so it works across replicas), and at once
 * when this replica made the change (`recheck()`).
 */
export class GatewayConnections {
  private readonly open = new Set<GatewayConnection>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly sessions: SessionService,
    private readonly instances: InstanceRepository,
    private readonly access: InstanceAccessPolicy,
    private readonly log: FastifyBaseLogger,
  ) {}

  track(connection: GatewayConnection): void {
    this.open.add(connection);
    connection.ws.once('close', () => this.open.delete(connection));
  }

  get size(): number {
    return this.open.size;
  }

  start(): void {
    this.timer = setInterval(() => void this.recheck(), recheckEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Checks every open socket now (one run at a time; a call during a run schedules one more). */
  recheck(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.checkAll()
      .catch((error: unknown) => this.log.warn({ err: error }, 'gateway connection re-check failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.recheck();
        }
      });
    return this.running;
  }

  private async checkAll(): Promise<void> {
    if (this.open.size === 0) return;
    const connections = [...this.open];
    const users = await this.sessions.activeUsers([...new Set(connections.map((c) => c.sessionToken))]);
    // An owner keeps an owner's access for as long as the instance exists (its end closes the sockets itself); everyone else's is worked out again, once per user and instance.
    const current = new Map<string, Promise<InstanceAccess | null>>();
    for (const connection of connections) {
      const user = users.get(connection.sessionToken);
      if (!user || user.id !== connection.userId || user.disabled === 1) {
        this.close(connection, closeCodes.signedOut, 'you were signed out');
        continue;
      }
      if (connection.access === 'owner') continue;
      const key = `${user.id}/${connection.instanceId}`;
      let access = current.get(key);
      if (!access) {
        access = this.instances.find(connection.instanceId).then((row) => (row ? this.access.of(row, user) : null));
        current.set(key, access);
      }
      const now = await access;
      const stillAllowed = connection.access === 'view' ? InstanceAccessPolicy.permits(now, 'watch') : InstanceAccessPolicy.permits(now, 'use');
      if (!stillAllowed) this.close(connection, closeCodes.forbidden, 'your access to this instance was withdrawn');
    }
  }

  private close(connection: GatewayConnection, code: number, reason: string): void {
    this.open.delete(connection);
    connection.ws.close(code, reason);
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => connection.ws.terminate(), 2000).unref();
  }
}
