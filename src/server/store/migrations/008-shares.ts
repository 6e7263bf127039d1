import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/** Shares: an owner lets another user watch (`view`) or use (`control`) one instance. */
export function shares(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('shares')
        .addColumn('instance_id', 'varchar(32)', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('access', 'varchar(16)', (c) => c.notNull())
        .addColumn('granted_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('shares_pk', ['instance_id', 'user_id'])
        .execute();
      await db.schema.createIndex('shares_user').on('shares').column('user_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('shares').execute();
    },
  };
}
