import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, GroupMembersTable, GroupsTable } from './schema.js';

export type GroupRow = Selectable<GroupsTable>;
export type MembershipSource = GroupMembersTable['source'];

export interface GroupWithCount extends GroupRow {
  memberCount: number;
}

export interface GroupMember {
  userId: string;
  username: string;
  displayName: string;
  source: MembershipSource;
  addedAt: number;
}

/** Groups and their members. */
export class GroupRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every group by name, with how many members each has. */
  async list(): Promise<GroupWithCount[]> {
    const rows = await this.db
      .selectFrom('groups')
      .leftJoin('group_members', 'group_members.group_id', 'groups.id')
      .select(['groups.id', 'groups.name', 'groups.description', 'groups.created_at'])
      .select((eb) => eb.fn.count<number | string>('group_members.user_id').as('member_count'))
      .groupBy(['groups.id', 'groups.name', 'groups.description', 'groups.created_at'])
      .orderBy('groups.name')
      .execute();
    return rows.map(({ member_count, ...group }) => ({ ...group, memberCount: Number(member_count) }));
  }

  findByName(name: string): Promise<GroupRow | undefined> {
    return this.db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Inserts a group; undefined when the name is taken. */
  async create(name: string, description: string, now = Date.now()): Promise<GroupRow | undefined> {
    const row: GroupRow = { id: randomUUID(), name, description, created_at: now };
    const inserted = await this.db.insertInto('groups').values(row).onConflict((c) => c.column('name').doNothing()).executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 ? row : undefined;
  }

  /** Deletes a group and its memberships; false when there was no such group. */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('group_members').where('group_id', '=', id).execute();
      const deleted = await trx.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    });
  }

  members(groupId: string): Promise<GroupMember[]> {
    return this.db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .select(['users.id as userId', 'users.username', 'users.display_name as displayName', 'group_members.source', 'group_members.added_at as addedAt'])
      .where('group_members.group_id', '=', groupId)
      .orderBy('users.username')
      .execute();
  }

  /** Adds a member; false when they already were one (their membership is then left as it was). */
  async addMember(groupId: string, userId: string, source: MembershipSource, now = Date.now()): Promise<boolean> {
    const inserted = await this.db
      .insertInto('group_members')
      .values({ group_id: groupId, user_id: userId, source, added_at: now })
      .onConflict((c) => c.columns(['group_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Removes a member; false when they were not one. */
  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0;
  }

  /** The groups a user belongs to, by name (per-group settings such as quota overrides start here). */
  async groupsOf(userId: string): Promise<GroupRow[]> {
    return this.db
      .selectFrom('groups')
      .innerJoin('group_members', 'group_members.group_id', 'groups.id')
      .select(['groups.id', 'groups.name', 'groups.description', 'groups.created_at'])
      .where('group_members.user_id', '=', userId)
      .orderBy('groups.name')
      .execute();
  }

  /**
   * Makes the user's single sign-on memberships match `names` (the provider's groups claim):
   * joins every existing group named there, leaves the groups it joined this way that are no
   * longer named. Memberships an admin added are never touched; unknown names create nothing.
   */
  async syncSsoMemberships(userId: string, names: string[], now = Date.now()): Promise<{ added: string[]; removed: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const wanted = names.length === 0 ? [] : await trx.selectFrom('groups').select(['id', 'name']).where('name', 'in', names).execute();
      const current = await trx
        .selectFrom('group_members')
        .innerJoin('groups', 'groups.id', 'group_members.group_id')
        .select(['groups.id', 'groups.name', 'group_members.source'])
        .where('group_members.user_id', '=', userId)
        .execute();
      const currentIds = new Set(current.map((row) => row.id));
      const wantedIds = new Set(wanted.map((row) => row.id));
      const added = wanted.filter((group) => !currentIds.has(group.id));
      const removed = current.filter((row) => row.source === 'sso' && !wantedIds.has(row.id));
      if (added.length > 0) {
        await trx
          .insertInto('group_members')
          .values(added.map((group) => ({ group_id: group.id, user_id: userId, source: 'sso' as const, added_at: now })))
          .onConflict((c) => c.columns(['group_id', 'user_id']).doNothing())
          .execute();
      }
      if (removed.length > 0) {
        await trx
          .deleteFrom('group_members')
          .where('user_id', '=', userId)
          .where('source', '=', 'sso')
          .where(
            'group_id',
            'in',
            removed.map((row) => row.id),
          )
          .execute();
      }
      return { added: added.map((group) => group.name), removed: removed.map((row) => row.name) };
    });
  }
}
