import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from './schema.js';
import type { UserRow } from './users.js';

export type SessionRow = Selectable<SessionsTable>;

/** Sessions, stored by the hash of their cookie value. */
export class SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SessionRow): Promise<void> {
    await this.db.insertInto('sessions').values(row).execute();
  }

  find(idHash: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  }

  /** The sessions among these hashes that still exist, with their users (one query per 500). */
  async withUsers(idHashes: string[]): Promise<Array<SessionRow & { user: UserRow }>> {
    const found: Array<SessionRow & { user: UserRow }> = [];
    for (let i = 0; i < idHashes.length; i += 500) {
      const rows = await this.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('sessions')
        .select(['users.username', 'users.display_name', 'users.email', 'users.role', 'users.password_hash', 'users.disabled', 'users.created_at as user_created_at', 'users.updated_at as user_updated_at'])
        .where('sessions.id_hash', 'in', idHashes.slice(i, i + 500))
        .execute();
      for (const { username, display_name, email, role, password_hash, disabled, user_created_at, user_updated_at, ...session } of rows) {
        found.push({ ...session, user: { id: session.user_id, username, display_name, email, role, password_hash, disabled, created_at: user_created_at, updated_at: user_updated_at } });
      }
    }
    return found;
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  async deleteExpired(now: number, idleCutoff: number): Promise<void> {
    await this.db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleCutoff)])).execute();
  }
}
