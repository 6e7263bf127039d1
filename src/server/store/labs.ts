import { createHash } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, LabsTable, LabVersionsTable } from './schema.js';

export type LabRow = Selectable<LabsTable>;
export type LabVersionRow = Selectable<LabVersionsTable>;
export type LabVersionMeta = Omit<LabVersionRow, 'yaml' | 'sha256' | 'lab_name'>;

/** A live lab with the text of its latest version. */
export interface CurrentLabRow {
  name: string;
  source: 'file' | 'store';
  version: number;
  yaml: string;
  sha256: string;
  createdBy: string | null;
  updatedAt: number;
  /** Who created the lab through the API; null for file labs. */
  owner: string | null;
}

/** The latest recorded version of a lab, live or deleted, and its owner: whose lab it is (decision 0015). */
export interface LabOwnerRow {
  owner: string | null;
  source: 'file' | 'store';
  deleted: boolean;
  yaml: string;
  sha256: string;
}

export type CreateOutcome = { ok: true; version: number } | { ok: false; existing: LabRow; reason: 'live' | 'not-yours' };
export type AddVersionOutcome =
  | { ok: true; version: number; changed: boolean }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'other-source'; source: 'file' | 'store' }
  | { ok: false; reason: 'stale'; latest: number };
export type RecordFileOutcome = { ok: true; version: number } | { ok: false; reason: 'taken' };

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Raced writers (two replicas recording the same file) retry this often before giving up. */
const maxAttempts = 5;

/**
 * Labs and their versions. Version numbers of a name only grow: a deleted lab keeps its rows
 * (marked deleted) so instances started from it still resolve, and a new lab of that name
 * continues its numbering.
 */
export class LabRepository {
  constructor(private readonly db: Kysely<Database>) {}

  listCurrent(): Promise<CurrentLabRow[]> {
    return this.currentQuery().orderBy('labs.name').execute();
  }

  findCurrent(name: string): Promise<CurrentLabRow | undefined> {
    return this.currentQuery().where('labs.name', '=', name).executeTakeFirst();
  }

  /** The lab row, deleted or not. */
  find(name: string): Promise<LabRow | undefined> {
    return this.db.selectFrom('labs').selectAll().where('name', '=', name).executeTakeFirst();
  }

  listVersions(name: string): Promise<LabVersionMeta[]> {
    return this.db
      .selectFrom('lab_versions')
      .select(['version', 'source', 'created_by', 'created_at'])
      .where('lab_name', '=', name)
      .orderBy('version', 'desc')
      .execute();
  }

  /** The lab's owner and latest recorded text, also of a deleted lab; undefined when the name was never used. */
  async findOwner(name: string): Promise<LabOwnerRow | undefined> {
    return toOwnerRow(await ownerQuery(this.db, name).executeTakeFirst());
  }

  getVersion(name: string, version: number): Promise<LabVersionRow | undefined> {
    return this.db.selectFrom('lab_versions').selectAll().where('lab_name', '=', name).where('version', '=', version).executeTakeFirst();
  }

  /**
   * A new lab at version 1, or the next version of a deleted one; refused while a live lab has the
   * name, and for a deleted one unless `mayRevive` allows it (decided in the transaction, so a
   * delete racing the create cannot slip past it). A store lab is owned by `createdBy`.
   */
  create(
    name: string,
    yaml: string,
    source: 'file' | 'store',
    createdBy: string | null,
    now = Date.now(),
    mayRevive: (deleted: LabOwnerRow) => boolean = () => true,
  ): Promise<CreateOutcome> {
    const owner = source === 'store' ? createdBy : null;
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('labs')
        .values({ name, source, latest_version: 1, created_at: now, updated_at: now, deleted_at: null, owner })
        .onConflict((c) => c.column('name').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
        await insertVersion(trx, name, 1, yaml, source, createdBy, now);
        return { ok: true, version: 1 };
      }
      const deleted = toOwnerRow(await ownerQuery(trx, name).where('labs.deleted_at', 'is not', null).executeTakeFirst());
      if (deleted && !mayRevive(deleted)) {
        return { ok: false, reason: 'not-yours', existing: await trx.selectFrom('labs').selectAll().where('name', '=', name).executeTakeFirstOrThrow() };
      }
      const revived = await trx
        .updateTable('labs')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), source, updated_at: now, deleted_at: null, owner }))
        .where('name', '=', name)
        .where('deleted_at', 'is not', null)
        .returning('latest_version')
        .executeTakeFirst();
      if (revived) {
        await insertVersion(trx, name, revived.latest_version, yaml, source, createdBy, now);
        return { ok: true, version: revived.latest_version };
      }
      const existing = await trx.selectFrom('labs').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
      return { ok: false, reason: 'live', existing };
    });
  }

  /**
   * Appends a version to a live lab of `source`. With `baseVersion`, only when that is still the
   * latest (optimistic locking for editors). The same text as the latest adds nothing.
   */
  async addVersion(
    name: string,
    yaml: string,
    options: { source: 'file' | 'store'; createdBy: string | null; baseVersion?: number | undefined },
    now = Date.now(),
  ): Promise<AddVersionOutcome> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<AddVersionOutcome> => {
        // Bumping first takes the row's lock (PostgreSQL), so concurrent saves line up one after another.
        const bumped = await trx
          .updateTable('labs')
          .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: now }))
          .where('name', '=', name)
          .where('source', '=', options.source)
          .where('deleted_at', 'is', null)
          .returning('latest_version')
          .executeTakeFirst();
        if (!bumped) throw new Rollback(undefined);
        const previous = bumped.latest_version - 1;
        if (options.baseVersion !== undefined && options.baseVersion !== previous) throw new Rollback({ ok: false, reason: 'stale', latest: previous });
        const latest = await trx.selectFrom('lab_versions').select('sha256').where('lab_name', '=', name).where('version', '=', previous).executeTakeFirst();
        if (latest?.sha256 === sha256(yaml)) throw new Rollback({ ok: true, version: previous, changed: false });
        await insertVersion(trx, name, bumped.latest_version, yaml, options.source, options.createdBy, now);
        return { ok: true, version: bumped.latest_version, changed: true };
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      if (error.outcome) return error.outcome;
      const row = await this.find(name);
      if (!row || row.deleted_at !== null) return { ok: false, reason: 'missing' };
      return { ok: false, reason: 'other-source', source: row.source };
    }
  }

  /** Marks a live lab of `source` deleted; false when there is none. */
  async delete(name: string, source: 'file' | 'store', now = Date.now()): Promise<boolean> {
    const result = await this.db
      .updateTable('labs')
      .set({ deleted_at: now, updated_at: now })
      .where('name', '=', name)
      .where('source', '=', source)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Makes the content of a lab file the latest version of its lab (a new version only when the
   * text changed). Refused when a live lab written through the API has the name.
   */
  async recordFileVersion(name: string, yaml: string, now = Date.now()): Promise<RecordFileOutcome> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.find(name);
      if (row && row.deleted_at === null && row.source === 'store') return { ok: false, reason: 'taken' };
      const outcome = row && row.deleted_at === null ? await this.addVersion(name, yaml, { source: 'file', createdBy: null }, now) : await this.create(name, yaml, 'file', null, now);
      if (outcome.ok) return { ok: true, version: outcome.version };
      if (attempt >= maxAttempts) throw new Error(`recording lab file ${name} lost ${maxAttempts} races in a row`);
    }
  }

  /** Marks deleted every live file lab whose name no file claims any more. */
  async retireFileLabs(claimed: ReadonlySet<string>, now = Date.now()): Promise<string[]> {
    let query = this.db.updateTable('labs').set({ deleted_at: now, updated_at: now }).where('source', '=', 'file').where('deleted_at', 'is', null);
    if (claimed.size > 0) query = query.where('name', 'not in', [...claimed]);
    const retired = await query.returning('name').execute();
    return retired.map((row) => row.name);
  }

  private currentQuery() {
    return this.db
      .selectFrom('labs')
      .innerJoin('lab_versions', (join) => join.onRef('lab_versions.lab_name', '=', 'labs.name').onRef('lab_versions.version', '=', 'labs.latest_version'))
      .select([
        'labs.name as name',
        'labs.source as source',
        'labs.latest_version as version',
        'labs.updated_at as updatedAt',
        'lab_versions.yaml as yaml',
        'lab_versions.sha256 as sha256',
        'lab_versions.created_by as createdBy',
        'labs.owner as owner',
      ])
      .where('labs.deleted_at', 'is', null);
  }
}

/** Thrown inside a transaction to undo it and answer with `outcome` (undefined: find out why from the row). */
class Rollback extends Error {
  constructor(readonly outcome: AddVersionOutcome | undefined) {
    super('rollback');
  }
}

function ownerQuery(db: Kysely<Database>, name: string) {
  return db
    .selectFrom('labs')
    .innerJoin('lab_versions', (join) => join.onRef('lab_versions.lab_name', '=', 'labs.name').onRef('lab_versions.version', '=', 'labs.latest_version'))
    .select(['labs.owner as owner', 'labs.source as source', 'labs.deleted_at as deletedAt', 'lab_versions.yaml as yaml', 'lab_versions.sha256 as sha256'])
    .where('labs.name', '=', name);
}

function toOwnerRow(row: { owner: string | null; source: 'file' | 'store'; deletedAt: number | null; yaml: string; sha256: string } | undefined): LabOwnerRow | undefined {
  return row && { owner: row.owner, source: row.source, deleted: row.deletedAt !== null, yaml: row.yaml, sha256: row.sha256 };
}

async function insertVersion(trx: Transaction<Database>, name: string, version: number, yaml: string, source: 'file' | 'store', createdBy: string | null, now: number): Promise<void> {
  await trx.insertInto('lab_versions').values({ lab_name: name, version, source, yaml, sha256: sha256(yaml), created_by: createdBy, created_at: now }).execute();
}
