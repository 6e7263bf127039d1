import { randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/** One row naming this installation: its workloads are labelled with it, so labhubs sharing an engine or cluster never collect each other's. */
export function installation(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('installation')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await (db as Kysely<{ installation: { id: string; created_at: number } }>)
        .insertInto('installation')
        .values({ id: randomBytes(8).toString('hex'), created_at: Date.now() })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('installation').execute();
    },
  };
}
