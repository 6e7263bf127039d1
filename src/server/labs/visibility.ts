import { parse as parseYaml } from 'yaml';
import { LabhubError } from '../errors.js';
import type { GroupRepository } from '../store/groups.js';
import type { UserRow } from '../store/users.js';
import type { CatalogEntry } from './catalog.js';

/** Who wrote a lab (the lab repository knows). */
export interface LabAuthorList {
  /** Usernames that wrote versions of the lab; empty for a lab that only came from a file. */
  authors(labName: string): Promise<string[]>;
}

/**
 * Which labs a user sees and may start. A lab limited to groups (`spec.groups`) is for members
 * of one of them, admins, and its authors — those who wrote its versions, or every author for a
 * lab from a file (the same rule as watching instances, instances/access.ts). Everyone else is
 * told it does not exist (404), as for an unknown lab.
 */
export class LabVisibility {
  constructor(
    private readonly groups: GroupRepository,
    private readonly labs: LabAuthorList,
  ) {}

  /** The entries `user` may see, in the order given. */
  async filter(user: UserRow, entries: CatalogEntry[]): Promise<CatalogEntry[]> {
    if (user.role === 'admin' || entries.every((entry) => groupsOf(entry).length === 0)) return entries;
    const memberOf = await this.memberships(user);
    const visible: CatalogEntry[] = [];
    for (const entry of entries) if (await this.allows(user, entry, memberOf)) visible.push(entry);
    return visible;
  }

  async canSee(user: UserRow, entry: CatalogEntry): Promise<boolean> {
    if (user.role === 'admin' || groupsOf(entry).length === 0) return true;
    return this.allows(user, entry, await this.memberships(user));
  }

  /** 404, exactly as for an unknown lab, when `user` may not see the lab. */
  async assertCanSee(user: UserRow, entry: CatalogEntry | undefined, name: string): Promise<CatalogEntry> {
    if (!entry || !(await this.canSee(user, entry))) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    return entry;
  }

  private async allows(user: UserRow, entry: CatalogEntry, memberOf: Set<string>): Promise<boolean> {
    const groups = groupsOf(entry);
    if (groups.length === 0 || groups.some((group) => memberOf.has(group))) return true;
    if (user.role !== 'author') return false;
    const authors = await this.labs.authors(entry.name);
    return authors.length === 0 || authors.includes(user.username);
  }

  private async memberships(user: UserRow): Promise<Set<string>> {
    return new Set((await this.groups.groupsOf(user.id)).map((group) => group.name));
  }
}

/** The groups a lab is limited to; for a broken lab, what its text says (so breaking a lab does not show it to everyone). */
function groupsOf(entry: CatalogEntry): string[] {
  if (entry.lab) return entry.lab.groups;
  try {
    const document = parseYaml(entry.yaml) as { spec?: { groups?: unknown } } | null;
    const groups = document?.spec?.groups;
    if (Array.isArray(groups)) return groups.map(String);
    // A value that is not a list still says the lab is meant to be limited: show it to no one but authors.
    return groups === undefined || groups === null ? [] : [''];
  } catch {
    return [];
  }
}
