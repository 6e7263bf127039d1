import { isSeq, parseDocument } from 'yaml';
import type { FieldProblem } from '../../common/errors.js';
import { positionInLab } from '../../common/lab/parse.js';
import { LabhubError, validationError } from '../errors.js';
import type { LabVersionMeta, LabVersionRow } from '../store/labs.js';
import type { UserRow } from '../store/users.js';
import type { CatalogEntry, LabCatalog } from './catalog.js';
import { labRoleOf } from './ownership.js';
import type { LabVisibility } from './visibility.js';

/** Accounts by username: a lab may name only authors and admins as its authors. */
export interface AuthorAccounts {
  findByUsername(username: string): Promise<Pick<UserRow, 'username' | 'role'> | undefined>;
}

/**
 * Writing labs and reading what only their authors read, for the caller (decision 0015): a lab
 * they may not see is 404 as for an unknown one, a lab they see but do not hold is 403, and only
 * its owner or an admin changes who its authors are. The catalog below does the saving.
 */
export class LabAuthoring {
  constructor(
    private readonly catalog: LabCatalog,
    private readonly visibility: LabVisibility,
    private readonly accounts: AuthorAccounts,
  ) {}

  /** A new lab owned by `user`; every author it names must be an author's or admin's account. */
  async create(user: UserRow, yaml: string): Promise<CatalogEntry> {
    const parsed = this.catalog.parseText(yaml);
    if (parsed.ok) await this.assertAuthorAccounts(parsed.lab.authors ?? [], [], (index) => ({ path: `metadata.authors[${index}]`, ...positionInLab(yaml, ['metadata', 'authors', String(index)]) }));
    return this.catalog.create(yaml, user);
  }

  /** A new version of a lab the caller holds; an author it names may edit it, but not change who its authors are. */
  async update(user: UserRow, name: string, yaml: string, baseVersion?: number): Promise<CatalogEntry> {
    const { entry, role } = await this.visibility.assertHolds(user, await this.catalog.get(name), name);
    const parsed = entry.source === 'store' ? this.catalog.parseText(yaml) : undefined;
    if (parsed?.ok) {
      const authors = parsed.lab.authors ?? [];
      if (!sameNames(authors, entry.authors)) {
        if (role === 'author') {
          throw new LabhubError('LABHUB_FORBIDDEN', `Only the lab's owner${entry.owner ? ` (${entry.owner})` : ''} or an admin can change who its authors are; keep metadata.authors as it is.`, {
            details: { problems: [{ path: 'metadata.authors', message: 'can be changed only by the lab\'s owner or an admin', ...positionInLab(yaml, ['metadata', 'authors']) }] },
          });
        }
        await this.assertAuthorAccounts(authors, entry.authors, (index) => ({ path: `metadata.authors[${index}]`, ...positionInLab(yaml, ['metadata', 'authors', String(index)]) }));
      }
    }
    return this.catalog.update(name, yaml, user.username, baseVersion);
  }

  /**
   * Names the co-authors of a lab written in labhub: its text's `metadata.authors` is rewritten
   * (comments and layout kept) and saved as a new version, so the history shows who named whom.
   */
  async setAuthors(user: UserRow, name: string, authors: string[], baseVersion?: number): Promise<CatalogEntry> {
    const { entry, role } = await this.visibility.assertHolds(user, await this.catalog.get(name), name);
    if (entry.source === 'file') {
      throw new LabhubError('LABHUB_CONFLICT', `The lab "${name}" comes from ${entry.file ? `the file ${entry.file}` : 'a file'} in the labs directory; its authors are named there (metadata.authors).`);
    }
    if (role === 'author') throw new LabhubError('LABHUB_FORBIDDEN', `Only the lab's owner${entry.owner ? ` (${entry.owner})` : ''} or an admin can name its authors.`);
    await this.assertAuthorAccounts(authors, entry.authors, (index) => ({ path: `body.authors[${index}]` }));
    if (sameNames(authors, entry.authors)) return entry;
    return this.catalog.update(name, withAuthors(entry.yaml, authors), user.username, baseVersion ?? entry.version ?? undefined);
  }

  async delete(user: UserRow, name: string): Promise<void> {
    await this.visibility.assertHolds(user, await this.catalog.get(name), name);
    await this.catalog.delete(name);
  }

  async versions(user: UserRow, name: string): Promise<LabVersionMeta[]> {
    await this.visibility.assertHolds(user, await this.catalog.get(name), name);
    return this.catalog.versions(name);
  }

  async version(user: UserRow, name: string, version: number): Promise<LabVersionRow> {
    await this.visibility.assertHolds(user, await this.catalog.get(name), name);
    return this.catalog.version(name, version);
  }

  /**
   * For reading a lab's learners' progress: the live lab if the caller holds it (404/403 as
   * above), undefined for a deleted lab they held; 404 for a deleted lab they did not.
   */
  async assertHoldsForProgress(user: UserRow, name: string): Promise<CatalogEntry | undefined> {
    const entry = await this.catalog.get(name);
    if (entry) return (await this.visibility.assertHolds(user, entry, name)).entry;
    const authorship = await this.catalog.authorship(name);
    if (!authorship || !labRoleOf(user, authorship)) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    return undefined;
  }

  /** Each name not already an author (`before`) must be an author's or admin's account: 400 at `where(index)` otherwise. */
  private async assertAuthorAccounts(names: string[], before: string[], where: (index: number) => Omit<FieldProblem, 'message'>): Promise<void> {
    const problems: FieldProblem[] = [];
    for (const [index, username] of names.entries()) {
      if (before.includes(username)) continue;
      const account = await this.accounts.findByUsername(username);
      if (!account) problems.push({ ...where(index), message: `names no account: "${username}" is not a username here` });
      else if (account.role === 'user') problems.push({ ...where(index), message: `names ${username}, a learner's account: only authors and admins can be a lab's authors` });
    }
    if (problems.length > 0) throw validationError(problems, `A lab's authors must be accounts of authors or admins: ${problems.map((problem) => `${problem.path} ${problem.message}`).join('; ')}.`);
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/** The lab's text with `metadata.authors` set to `authors` (a flow list), or removed when there are none. */
function withAuthors(yaml: string, authors: string[]): string {
  const document = parseDocument(yaml);
  if (authors.length === 0) {
    document.deleteIn(['metadata', 'authors']);
  } else {
    const list = document.createNode(authors);
    if (isSeq(list)) list.flow = true;
    document.setIn(['metadata', 'authors'], list);
  }
  return document.toString();
}
