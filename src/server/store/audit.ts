import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from './schema.js';

export type AuditRow = Selectable<AuditEventsTable>;

export interface AuditEvent {
  actor: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
}

/** The append-only audit log. */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(event: AuditEvent, now = Date.now()): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: now,
        actor: event.actor,
        action: event.action,
        target: event.target ?? null,
        ip: event.ip ?? null,
        detail: event.detail ? JSON.stringify(event.detail) : null,
      })
      .execute();
  }

  /** Newest first; `since` and `until` are epoch milliseconds (until excluded). */
  list(filter: { actor?: string; action?: string; limit: number; before?: number; since?: number; until?: number }): Promise<AuditRow[]> {
    let query = this.db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.actor) query = query.where('actor', '=', filter.actor);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    return query.execute();
  }
}
