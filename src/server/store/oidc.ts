import type { Kysely, Selectable } from 'kysely';
import type { Database, OidcLoginsTable } from './schema.js';

export type OidcLoginRow = Selectable<OidcLoginsTable>;

/** Single sign-on: the provider accounts linked to users, and the logins in flight. */
export class OidcRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async userIdOf(issuer: string, subject: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('user_identities').select('user_id').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    return row?.user_id;
  }

  /** Links a provider account to a user; false when that account is already linked (to anyone). */
  async link(issuer: string, subject: string, userId: string, now = Date.now()): Promise<boolean> {
    const inserted = await this.db
      .insertInto('user_identities')
      .values({ issuer, subject, user_id: userId, created_at: now })
      .onConflict((c) => c.columns(['issuer', 'subject']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Records a login in flight, and forgets those that expired. */
  async startLogin(row: OidcLoginRow, now = Date.now()): Promise<void> {
    await this.db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
    await this.db.insertInto('oidc_logins').values(row).execute();
  }

  /** Takes a login in flight (each can be finished once); undefined when unknown or expired. */
  async takeLogin(idHash: string, now = Date.now()): Promise<OidcLoginRow | undefined> {
    const row = await this.db.selectFrom('oidc_logins').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return undefined;
    const deleted = await this.db.deleteFrom('oidc_logins').where('id_hash', '=', idHash).executeTakeFirst();
    // Another request took it first: only one may finish the login.
    if (Number(deleted.numDeletedRows) === 0) return undefined;
    return row.expires_at > now ? row : undefined;
  }
}
