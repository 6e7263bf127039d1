import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Role, User } from '../../common/api.js';
import type { Database, UsersTable } from './schema.js';

export type UserRow = Selectable<UsersTable>;

export interface NewUser {
  username: string;
  displayName?: string | undefined;
  email?: string | undefined;
  role: Role;
  passwordHash: string | null;
}

export interface UserChanges {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
  displayName?: string;
  email?: string | null;
}

/** Users: the accounts table. */
export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The users of these ids that exist. */
  findByIds(ids: string[]): Promise<UserRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
  }

  /** Usernames by user id, for the ids given. */
  async usernames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute();
    return new Map(rows.map((row) => [row.id, row.username]));
  }

  list(): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('username').execute();
  }

  /** Inserts a user; returns undefined when the username is taken. */
  async create(user: NewUser, now = Date.now()): Promise<UserRow | undefined> {
    const row: UserRow = {
      id: randomUUID(),
      username: user.username,
      display_name: user.displayName ?? user.username,
      email: user.email ?? null,
      role: user.role,
      password_hash: user.passwordHash,
      disabled: 0,
      created_at: now,
      updated_at: now,
    };
    const inserted = await this.db.insertInto('users').values(row).onConflict((c) => c.column('username').doNothing()).executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 ? row : undefined;
  }

  async update(id: string, changes: UserChanges, now = Date.now()): Promise<UserRow | undefined> {
    await this.db
      .updateTable('users')
      .set({
        updated_at: now,
        ...(changes.role !== undefined && { role: changes.role }),
        ...(changes.disabled !== undefined && { disabled: changes.disabled ? 1 : 0 }),
        ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
        ...(changes.displayName !== undefined && { display_name: changes.displayName }),
        ...(changes.email !== undefined && { email: changes.email }),
      })
      .where('id', '=', id)
      .execute();
    return this.findById(id);
  }

  async countActiveAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

/** The public view of a user: never the password hash or internal id. */
export function toUser(row: UserRow): User {
  return {
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    disabled: row.disabled === 1,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
