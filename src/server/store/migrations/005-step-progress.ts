import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function stepProgress(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('step_progress')
        .addColumn('instance_id', 'varchar(32)', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('passed_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('step_progress_pk', ['instance_id', 'step'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('step_progress').execute();
    },
  };
}
