import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Labs and their versions. Every saved lab (from the API or from a file in the labs directory)
 * is a new row in lab_versions; a running instance keeps the (lab, version) it started from.
 * Deleting a lab only marks it deleted, so those versions stay resolvable and version numbers
 * are never reused when the name is used again.
 */
export function labs(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('labs')
        .addColumn('name', 'varchar(63)', (c) => c.primaryKey())
        .addColumn('source', 'varchar(8)', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema
        .createTable('lab_versions')
        .addColumn('lab_name', 'varchar(63)', (c) => c.notNull().references('labs.name').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'varchar(8)', (c) => c.notNull())
        .addColumn('yaml', 'text', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('lab_versions_pk', ['lab_name', 'version'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('lab_versions').execute();
      await db.schema.dropTable('labs').execute();
    },
  };
}
