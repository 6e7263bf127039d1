import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/** Quotas a group gives its members above the configured defaults; a null field keeps the default. */
export function quotas(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('group_quotas')
        .addColumn('group_id', 'varchar(36)', (c) => c.primaryKey().references('groups.id').onDelete('cascade'))
        .addColumn('instances', 'integer')
        .addColumn('cpu_millis', 'integer')
        .addColumn('memory_bytes', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('group_quotas').execute();
    },
  };
}
