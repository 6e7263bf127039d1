import type { FieldProblem } from '../../common/errors.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { parseLab, positionInLab, type ParseLabResult } from '../../common/lab/parse.js';
import { LabhubError, validationError } from '../errors.js';
import { sha256, type CurrentLabRow, type LabRepository, type LabVersionMeta, type LabVersionRow } from '../store/labs.js';
import type { UserRow } from '../store/users.js';
import type { FileLabSource, FileLabState } from './file-labs.js';
import { authorsInText, labRoleOf, type LabAuthorship } from './ownership.js';

/** One lab as the catalog shows it: valid or broken, from a file or from the store. */
export interface CatalogEntry {
  name: string;
  source: 'file' | 'store';
  /** File name in the labs directory, for file labs. */
  file?: string;
  status: 'ok' | 'broken';
  problems: FieldProblem[];
  /** Latest recorded version; null for a broken file that never validated. */
  version: number | null;
  /** Null when broken. */
  lab: NormalizedLab | null;
  yaml: string;
  updatedAt: number;
  /** Who created it through the API; null for file labs (decision 0015). */
  owner: string | null;
  /** `metadata.authors`: its co-authors, or a lab file's authors. */
  authors: string[];
}

/** What an instance is started from: a lab at one version, which stays resolvable after the lab changes or is deleted. */
export interface ResolvedLab {
  name: string;
  version: number;
  source: 'file' | 'store';
  lab: NormalizedLab;
}

/** Parsed versions kept in memory, by text hash. */
const parseCacheSize = 500;

/**
 * The labs users can see and start: file labs (read-only here, reloaded on change) merged with
 * labs written through the API, which are versioned in the store. Reads go to the store each
 * time, so every replica sees every write.
 */
export class LabCatalog {
  private readonly parsed = new Map<string, ParseLabResult>();

  constructor(
    private readonly repository: LabRepository,
    private readonly files: FileLabSource,
  ) {}

  start(): Promise<void> {
    return this.files.start();
  }

  stop(): Promise<void> {
    return this.files.stop();
  }

  /** Waits until the labs directory has been read again (tests and the reload endpoint of tomorrow). */
  rescanFiles(): Promise<void> {
    return this.files.requestScan();
  }

  async list(): Promise<CatalogEntry[]> {
    const rows = await this.repository.listCurrent();
    const entries = rows.map((row) => this.entryOf(row, row.source === 'file' ? this.files.byName(row.name) : undefined));
    const shown = new Set(entries.filter((entry) => entry.file !== undefined).map((entry) => entry.file));
    for (const state of this.files.list()) {
      if (!shown.has(state.file)) entries.push(this.fileEntry(state, undefined));
    }
    return entries.sort((a, b) => a.name.localeCompare(b.name) || (a.file ?? '').localeCompare(b.file ?? ''));
  }

  /** The lab of that name: the live one in the store, else a broken file claiming the name. */
  async get(name: string): Promise<CatalogEntry | undefined> {
    const row = await this.repository.findCurrent(name);
    const state = this.files.byName(name);
    if (row) return this.entryOf(row, row.source === 'file' ? state : undefined);
    return state ? this.fileEntry(state, undefined) : undefined;
  }

  /**
   * Whose the lab is: of the live lab as the catalog shows it, else of the deleted lab's last
   * version (its learners' instances and progress stay its authors'); undefined for a name never used.
   */
  async authorship(name: string): Promise<LabAuthorship | undefined> {
    const entry = await this.get(name);
    if (entry) return { owner: entry.owner, authors: entry.authors };
    const row = await this.repository.findOwner(name);
    return row && { owner: row.owner, authors: this.authorsOf(row.yaml, row.sha256) };
  }

  /**
   * The normalized lab to start an instance from: the latest valid version, or exactly
   * `version` (also of a lab deleted since). 404 when unknown, 409 when broken.
   */
  async resolve(name: string, version?: number): Promise<ResolvedLab> {
    if (version === undefined) {
      const entry = await this.get(name);
      if (!entry) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
      if (entry.status !== 'ok' || !entry.lab || entry.version === null) {
        throw new LabhubError('LABHUB_CONFLICT', `The lab "${name}" is broken and cannot be started until its problems are fixed.`);
      }
      return { name, version: entry.version, source: entry.source, lab: entry.lab };
    }
    const row = await this.repository.getVersion(name, version);
    if (!row) throw new LabhubError('LABHUB_NOT_FOUND', `The lab "${name}" has no version ${version}.`);
    const result = this.parse(row.yaml, row.sha256);
    if (!result.ok) throw new LabhubError('LABHUB_CONFLICT', `Version ${version} of the lab "${name}" does not validate any more.`, { details: { problems: result.problems } });
    return { name, version, source: row.source, lab: result.lab };
  }

  /** The lab as it is now for a new instance; undefined when unknown, LabhubError 409 when broken (instances' LabResolver). */
  async resolveForStart(name: string): Promise<ResolvedLab | undefined> {
    if (!(await this.get(name))) return undefined;
    return this.resolve(name);
  }

  /** Checks YAML text as a lab without saving it. */
  validate(yaml: string): { ok: boolean; problems: FieldProblem[] } {
    const result = parseLab(yaml, 'request');
    return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
  }

  /**
   * Saves a new lab from YAML text, owned by `creator`: 400 with problems when invalid, 409 when
   * the name is taken — by a live lab, or by a deleted one `creator` did not hold (its instances
   * and versions stay its authors').
   */
  async create(yaml: string, creator: Pick<UserRow, 'username' | 'role'>): Promise<CatalogEntry> {
    const lab = this.parseOrThrow(yaml);
    const claimingFile = this.files.byName(lab.name);
    if (claimingFile?.claimsName) throw nameTaken(yaml, `The lab "${lab.name}" comes from the file ${claimingFile.file}; choose another name.`);
    const now = Date.now();
    const mayRevive = (deleted: { owner: string | null; yaml: string; sha256: string }) => labRoleOf(creator, { owner: deleted.owner, authors: this.authorsOf(deleted.yaml, deleted.sha256) }) !== null;
    const outcome = await this.repository.create(lab.name, yaml, 'store', creator.username, now, mayRevive);
    if (!outcome.ok) {
      throw nameTaken(
        yaml,
        outcome.reason === 'not-yours'
          ? `The name "${lab.name}" belonged to a lab that was deleted; only its authors or an admin can use it again. Choose another name.`
          : outcome.existing.source === 'file'
            ? `The lab "${lab.name}" comes from a file in the labs directory; choose another name.`
            : `A lab named "${lab.name}" already exists; choose another name.`,
      );
    }
    return savedEntry(lab, outcome.version, yaml, now, creator.username);
  }

  /**
   * Saves a new version of a lab written through the API; `baseVersion` guards against overwriting
   * someone else's save. Who may save is the caller's to check (labs/authoring.ts).
   */
  async update(name: string, yaml: string, author: string, baseVersion?: number): Promise<CatalogEntry> {
    const current = await this.mustBeStoreLab(name, 'changed');
    const lab = this.parseOrThrow(yaml);
    if (lab.name !== name) {
      throw validationError(
        [{ path: 'metadata.name', message: `must be ${name}, the lab being changed; to rename a lab, create one with the new name and delete this one`, ...positionInLab(yaml, ['metadata', 'name']) }],
        `The lab's name cannot change: metadata.name must be "${name}".`,
      );
    }
    const now = Date.now();
    const outcome = await this.repository.addVersion(name, yaml, { source: 'store', createdBy: author, baseVersion }, now);
    if (!outcome.ok && outcome.reason === 'stale') {
      throw new LabhubError('LABHUB_CONFLICT', `The lab "${name}" was saved by someone else since version ${baseVersion ?? outcome.latest} (it is now at version ${outcome.latest}); reload it and apply your change again.`, {
        details: { latestVersion: outcome.latest },
      });
    }
    if (!outcome.ok) {
      // Deleted, or replaced by a file lab, since the check above: answer as that check would now.
      await this.mustBeStoreLab(name, 'changed');
      throw new LabhubError('LABHUB_CONFLICT', `The lab "${name}" changed while saving; try again.`);
    }
    return savedEntry(lab, outcome.version, yaml, now, current.owner);
  }

  async delete(name: string): Promise<void> {
    await this.mustBeStoreLab(name, 'deleted');
    if (!(await this.repository.delete(name, 'store'))) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
  }

  /** The versions of a live lab, newest first; 404 when there is no such lab. */
  async versions(name: string): Promise<LabVersionMeta[]> {
    if (!(await this.repository.findCurrent(name))) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    return this.repository.listVersions(name);
  }

  async version(name: string, version: number): Promise<LabVersionRow> {
    if (!(await this.repository.findCurrent(name))) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    const row = await this.repository.getVersion(name, version);
    if (!row) throw new LabhubError('LABHUB_NOT_FOUND', `The lab "${name}" has no version ${version}.`);
    return row;
  }

  /** The lab's text parsed, or the problems that keep it from validating (cached by hash). */
  parseText(yaml: string): ParseLabResult {
    return this.parse(yaml, sha256(yaml));
  }

  /** 404 for an unknown lab, 409 for a file lab: those change only in their file. */
  private async mustBeStoreLab(name: string, what: 'changed' | 'deleted'): Promise<CatalogEntry> {
    const entry = await this.get(name);
    if (!entry) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    if (entry.source === 'file') {
      const where = entry.file ? `the file ${entry.file} in the labs directory` : 'a file in the labs directory';
      throw new LabhubError('LABHUB_CONFLICT', `The lab "${name}" comes from ${where}; it can only be ${what} there.`);
    }
    return entry;
  }

  private parseOrThrow(yaml: string): NormalizedLab {
    const result = this.parse(yaml, sha256(yaml));
    if (result.ok) return result.lab;
    const [first] = result.problems;
    const where = first?.line !== undefined ? ` (line ${first.line}, column ${first.column ?? 1})` : '';
    const more = result.problems.length > 1 ? ` and ${result.problems.length - 1} more ${result.problems.length === 2 ? 'problem' : 'problems'}` : '';
    throw validationError(result.problems, `The lab is not valid: ${first?.path ?? ''} ${first?.message ?? ''}${where}${more}.`);
  }

  /** `metadata.authors` of a recorded text: from the parse when it validates, else read leniently. */
  private authorsOf(yaml: string, hash: string): string[] {
    const result = this.parse(yaml, hash);
    return result.ok ? (result.lab.authors ?? []) : authorsInText(yaml);
  }

  private fileEntry(state: FileLabState, row: CurrentLabRow | undefined): CatalogEntry {
    const ok = state.status === 'ok' && state.lab !== null && state.version !== null;
    return {
      name: state.name,
      source: 'file',
      file: state.file,
      status: ok ? 'ok' : 'broken',
      problems: state.problems,
      version: state.version ?? row?.version ?? null,
      lab: ok ? state.lab : null,
      yaml: state.yaml,
      updatedAt: row?.updatedAt ?? Math.round(state.modifiedAt),
      owner: null,
      // A broken file still names its authors: they are who need to see its problems.
      authors: state.lab?.authors ?? authorsInText(state.yaml),
    };
  }

  private entryOf(row: CurrentLabRow, state: FileLabState | undefined): CatalogEntry {
    if (state) return this.fileEntry(state, row);
    const result = this.parse(row.yaml, row.sha256);
    return {
      name: row.name,
      source: row.source,
      status: result.ok ? 'ok' : 'broken',
      problems: result.ok ? [] : result.problems,
      version: row.version,
      lab: result.ok ? result.lab : null,
      yaml: row.yaml,
      updatedAt: row.updatedAt,
      owner: row.source === 'store' ? row.owner : null,
      authors: result.ok ? (result.lab.authors ?? []) : authorsInText(row.yaml),
    };
  }

  private parse(yaml: string, hash: string): ParseLabResult {
    const cached = this.parsed.get(hash);
    if (cached) {
      // Re-inserted so the map's order is least recently used first.
      this.parsed.delete(hash);
      this.parsed.set(hash, cached);
      return cached;
    }
    const result = parseLab(yaml, 'store');
    this.parsed.set(hash, result);
    if (this.parsed.size > parseCacheSize) this.parsed.delete(this.parsed.keys().next().value as string);
    return result;
  }
}

/** The entry of the version just saved (not re-read: a later save by someone else may already be the latest). */
function savedEntry(lab: NormalizedLab, version: number, yaml: string, now: number, owner: string | null): CatalogEntry {
  return { name: lab.name, source: 'store', status: 'ok', problems: [], version, lab, yaml, updatedAt: now, owner, authors: lab.authors ?? [] };
}

function nameTaken(yaml: string, message: string): LabhubError {
  return new LabhubError('LABHUB_CONFLICT', message, {
    details: { problems: [{ path: 'metadata.name', message: 'is taken', ...positionInLab(yaml, ['metadata', 'name']) }] },
  });
}
