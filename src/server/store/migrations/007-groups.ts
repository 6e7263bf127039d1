import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Groups (a course, a class) and their members; the single sign-on identities linked to users;
 * and the logins in flight at the OpenID provider (kept server-side so the PKCE verifier and the
 * nonce never leave labhub, and every replica can finish a login another one started).
 */
export function groups(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('groups')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('description', 'varchar(500)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('group_members')
        .addColumn('group_id', 'varchar(36)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
        .execute();
      await db.schema.createIndex('group_members_user_id').on('group_members').column('user_id').execute();

      await db.schema
        .createTable('user_identities')
        .addColumn('issuer', 'varchar(500)', (c) => c.notNull())
        .addColumn('subject', 'varchar(255)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_identities_pk', ['issuer', 'subject'])
        .execute();

      await db.schema
        .createTable('oidc_logins')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('state', 'varchar(128)', (c) => c.notNull())
        .addColumn('nonce', 'varchar(128)', (c) => c.notNull())
        .addColumn('code_verifier', 'varchar(128)', (c) => c.notNull())
        .addColumn('next', 'varchar(2000)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('oidc_logins').execute();
      await db.schema.dropTable('user_identities').execute();
      await db.schema.dropTable('group_members').execute();
      await db.schema.dropTable('groups').execute();
    },
  };
}
