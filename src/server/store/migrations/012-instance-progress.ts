import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/** How far an instance's start is (0–100), for the learner's progress bar; null when nothing is under way. */
export function instanceProgress(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('instances').addColumn('progress', 'integer').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('instances').dropColumn('progress').execute();
    },
  };
}
