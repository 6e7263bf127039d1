import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Labs written through the API get an owner: the author who created them (decision 0015). Labs
 * saved before this had none; each is given to whoever saved its first version, the best guess of
 * who created it. Later editors are not co-authors: the owner or an admin names them.
 */
export function labOwners(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('labs').addColumn('owner', 'varchar(64)').execute();
      await sql`update labs set owner = (
        select v.created_by from lab_versions v
        where v.lab_name = labs.name and v.created_by is not null
        order by v.version limit 1
      ) where source = 'store'`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('labs').dropColumn('owner').execute();
    },
  };
}
