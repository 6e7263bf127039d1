import { parse as parseYaml } from 'yaml';
import { LabhubError } from '../errors.js';
import type { GroupRepository } from '../store/groups.js';
import type { UserRow } from '../store/users.js';
import type { CatalogEntry } from './catalog.js';
import { labRoleOf, type LabRole } from './ownership.js';

/**
 * Which labs a user sees and may start. A lab limited to groups (`spec.groups`) is for members
 * of one of them, admins, and its owner and authors (labs/ownership.ts). Everyone else is told it
 * does not exist (404), as for an unknown lab, wherever the lab is named.
 */
export class LabVisibility {
  constructor(private readonly groups: GroupRepository) {}

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
    if (!entry || !(await this.canSee(user, entry))) throw notFound(name);
    return entry;
  }

  /**
   * The lab and how `user` holds it, for changing it or reading what only its authors read
   * (versions, learners' progress): 404 when they may not see it, 403 when they see it but do not hold it.
   */
  async assertHolds(user: UserRow, entry: CatalogEntry | undefined, name: string): Promise<{ entry: CatalogEntry; role: LabRole }> {
    const seen = await this.assertCanSee(user, entry, name);
    const role = labRoleOf(user, seen);
    if (!role) throw new LabhubError('LABHUB_FORBIDDEN', `Only the lab's owner${seen.owner ? ` (${seen.owner})` : ''}, its authors and admins can do this.`);
    return { entry: seen, role };
  }

  private async allows(user: UserRow, entry: CatalogEntry, memberOf: Set<string>): Promise<boolean> {
    const groups = groupsOf(entry);
    return groups.length === 0 || groups.some((group) => memberOf.has(group)) || labRoleOf(user, entry) !== null;
  }

  private async memberships(user: UserRow): Promise<Set<string>> {
    return new Set((await this.groups.groupsOf(user.id)).map((group) => group.name));
  }
}

function notFound(name: string): LabhubError {
  return new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
}

/** The groups a lab is limited to; for a broken lab, what its text says (so breaking a lab does not show it to everyone). */
function groupsOf(entry: CatalogEntry): string[] {
  if (entry.lab) return entry.lab.groups;
  try {
    const document = parseYaml(entry.yaml) as { spec?: { groups?: unknown } } | null;
    const groups = document?.spec?.groups;
    if (Array.isArray(groups)) return groups.map(String);
    // A value that is not a list still says the lab is meant to be limited: show it to no one but its authors.
    return groups === undefined || groups === null ? [] : [''];
  } catch {
    return [];
  }
}
