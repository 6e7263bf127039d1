import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, InstancesTable } from './schema.js';

export type InstanceRow = Selectable<InstancesTable>;
export type InstanceChanges = Omit<Updateable<InstancesTable>, 'id' | 'owner_id' | 'created_at'>;

/** Instances: the desired state of every learner's lab, and what was last seen of it. */
export class InstanceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: InstanceRow): Promise<void> {
    await this.db.insertInto('instances').values(row).execute();
  }

  find(id: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Instances matching every given filter; `ownerOrIds` matches instances owned by that user or with one of those ids. */
  list(filter: { ownerId?: string; labName?: string; ownerOrIds?: { ownerId: string; ids: string[] } } = {}): Promise<InstanceRow[]> {
    let query = this.db.selectFrom('instances').selectAll().orderBy('created_at', 'desc');
    if (filter.ownerId) query = query.where('owner_id', '=', filter.ownerId);
    const either = filter.ownerOrIds;
    if (either) query = query.where((eb) => eb.or([eb('owner_id', '=', either.ownerId), ...(either.ids.length > 0 ? [eb('id', 'in', either.ids)] : [])]));
    if (filter.labName) query = query.where('lab_name', '=', filter.labName);
    return query.execute();
  }

  async countActive(ownerId: string, labName: string): Promise<number> {
    const row = await this.db
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('owner_id', '=', ownerId)
      .where('lab_name', '=', labName)
      .where('desired', '!=', 'deleted')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(id: string, changes: InstanceChanges, now = Date.now()): Promise<void> {
    await this.db.updateTable('instances').set({ ...changes, updated_at: now }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('instances').where('id', '=', id).execute();
  }
}
