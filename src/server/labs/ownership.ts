import { parse as parseYaml } from 'yaml';
import { usernamePattern } from '../../common/lab/schema.js';
import type { UserRow } from '../store/users.js';

/**
 * Whose a lab is (decision 0015): the author who created it through the API (its owner), and the
 * usernames its text names in `metadata.authors` (co-authors; for a lab file, its only authors).
 */
export interface LabAuthorship {
  /** Who created the lab through the API; null for a lab from a file. */
  owner: string | null;
  /** `metadata.authors` of the lab's text. */
  authors: string[];
}

/** How a user holds a lab: its owner, an author it names, or an admin (who holds every lab). */
export type LabRole = 'owner' | 'author' | 'admin';

/**
 * The caller's hold on a lab, or null: they may not change it, read its versions or its
 * learners' progress, or watch its instances. Only author and admin accounts hold labs: a name
 * in `metadata.authors` gives a learner's account nothing.
 */
export function labRoleOf(user: Pick<UserRow, 'username' | 'role'>, authorship: LabAuthorship): LabRole | null {
  if (user.role === 'user') return null;
  if (authorship.owner === user.username) return 'owner';
  if (user.role === 'admin') return 'admin';
  return authorship.authors.includes(user.username) ? 'author' : null;
}

/**
 * `metadata.authors` read from YAML text that may not validate (a broken lab file still says who
 * may see its problems): the usernames of a list, nothing when it is not one.
 */
export function authorsInText(yaml: string): string[] {
  try {
    const document = parseYaml(yaml) as { metadata?: { authors?: unknown } } | null;
    const authors = document?.metadata?.authors;
    if (!Array.isArray(authors)) return [];
    const pattern = new RegExp(usernamePattern);
    return authors.filter((name): name is string => typeof name === 'string' && pattern.test(name));
  } catch {
    return [];
  }
}
