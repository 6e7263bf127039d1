import type { Kysely, Selectable } from 'kysely';
import type { Database, SharesTable } from './schema.js';

export type ShareRow = Selectable<SharesTable>;
export type ShareAccess = SharesTable['access'];

/** Who else may watch or use an instance. */
export class ShareRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Grants or changes a share (one per instance and user). */
  async put(row: ShareRow): Promise<void> {
    await this.db
      .insertInto('shares')
      .values(row)
      .onConflict((oc) => oc.columns(['instance_id', 'user_id']).doUpdateSet({ access: row.access, granted_by: row.granted_by, created_at: row.created_at }))
      .execute();
  }

  /** Removes a share; whether there was one. */
  async remove(instanceId: string, userId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('shares').where('instance_id', '=', instanceId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  find(instanceId: string, userId: string): Promise<ShareRow | undefined> {
    return this.db.selectFrom('shares').selectAll().where('instance_id', '=', instanceId).where('user_id', '=', userId).executeTakeFirst();
  }

  ofInstance(instanceId: string): Promise<Array<ShareRow & { username: string }>> {
    return this.db
      .selectFrom('shares')
      .innerJoin('users', 'users.id', 'shares.user_id')
      .selectAll('shares')
      .select('users.username')
      .where('shares.instance_id', '=', instanceId)
      .orderBy('users.username')
      .execute();
  }

  /** The shares given to a user, by instance id. */
  async ofUser(userId: string): Promise<Map<string, ShareAccess>> {
    const rows = await this.db.selectFrom('shares').select(['instance_id', 'access']).where('user_id', '=', userId).execute();
    return new Map(rows.map((row) => [row.instance_id, row.access]));
  }
}
