import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The time limit counts running time (docs/decisions/0020-time-limit-counts-running-time.md): the
 * running time allowed, the time used by finished running periods, and when the current one
 * began. Instances from before keep their deadline: what they had left becomes their allowance,
 * counted from their creation while they run; a stopped one keeps it for its next start.
 */
export function instanceClock(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('instances').addColumn('time_allowed_ms', 'bigint').execute();
      await db.schema
        .alterTable('instances')
        .addColumn('time_used_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('instances').addColumn('clock_started_at', 'bigint').execute();
      await sql`UPDATE instances SET time_allowed_ms = expires_at - created_at WHERE expires_at IS NOT NULL`.execute(db);
      await sql`UPDATE instances SET clock_started_at = created_at WHERE expires_at IS NOT NULL AND status IN ('running', 'paused')`.execute(db);
      await sql`UPDATE instances SET expires_at = NULL WHERE clock_started_at IS NULL`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['time_allowed_ms', 'time_used_ms', 'clock_started_at']) await db.schema.alterTable('instances').dropColumn(column).execute();
    },
  };
}
