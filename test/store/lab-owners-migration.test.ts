import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Migrator, sql, type Kysely } from 'kysely';
import { allMigrations } from '../../src/server/store/migrations/index.js';
import { dialects, freshStore } from '../support/app.js';

/**
 * Migration 010 (decision 0015): labs saved before labs had owners go to whoever saved their
 * first version; lab files get none. Run down to 009, then labs written the old way, then up again.
 */
for (const dialect of dialects) {
  describe(`lab owners migration (${dialect})`, () => {
    let fresh: Awaited<ReturnType<typeof freshStore>>;
    let migrator: Migrator;

    before(async () => {
      fresh = await freshStore(dialect);
      migrator = new Migrator({
        db: fresh.store.db,
        provider: { getMigrations: async () => allMigrations(dialect) },
        migrationTableName: 'labhub_migrations',
        migrationLockTableName: 'labhub_migrations_lock',
      });
    });
    after(() => fresh.dispose());

    test('each stored lab is owned by the author of its first version; file labs by nobody', async () => {
      const down = await migrator.migrateTo('009-quotas');
      assert.equal(down.error, undefined);
      const db = fresh.store.db as unknown as Kysely<unknown>;
      const lab = async (name: string, source: string, authors: (string | null)[]) => {
        await sql`insert into labs (name, source, latest_version, created_at, updated_at, deleted_at) values (${name}, ${source}, ${authors.length}, 1, 1, null)`.execute(db);
        for (const [index, author] of authors.entries()) {
          await sql`insert into lab_versions (lab_name, version, source, yaml, sha256, created_by, created_at) values (${name}, ${index + 1}, ${source}, ${'x'}, ${String(index)}, ${author}, 1)`.execute(db);
        }
      };
      await lab('edited-by-two', 'store', ['ann', 'bob', 'ann']);
      await lab('from-file', 'file', [null, null]);

      const up = await migrator.migrateToLatest();
      assert.equal(up.error, undefined);
      const owners = await fresh.store.db.selectFrom('labs').select(['name', 'owner']).orderBy('name').execute();
      assert.deepEqual(owners, [
        { name: 'edited-by-two', owner: 'ann' },
        { name: 'from-file', owner: null },
      ]);
    });
  });
}
