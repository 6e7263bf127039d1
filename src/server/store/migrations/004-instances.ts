import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function instances(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('owner_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('lab_name', 'varchar(63)', (c) => c.notNull())
        .addColumn('lab_version', 'integer', (c) => c.notNull())
        .addColumn('lab_snapshot', 'text', (c) => c.notNull())
        .addColumn('desired', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('machines', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('instances_owner').on('instances').column('owner_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('instances').execute();
    },
  };
}
