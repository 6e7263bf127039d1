import type { Kysely } from 'kysely';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { formatBytes } from '../../common/lab/quantities.js';
import { LabhubError } from '../errors.js';
import type { Dialect } from '../store/dialect.js';
import type { Database } from '../store/schema.js';
import type { InstanceRow } from '../store/instances.js';
import { labOf } from './snapshot.js';

/** What one user may have at once: instances (running, paused or stopped), and the cpu and memory of the running and paused ones. */
export interface Quota {
  instances: number;
  cpuMillis: number;
  memoryBytes: number;
}

export type Usage = Quota;

/** A group's raise of the default quota; null keeps the default. */
export interface GroupQuota {
  instances: number | null;
  cpuMillis: number | null;
  memoryBytes: number | null;
}

/**
 * Per-user quotas (issue #8): defaults from the configuration, raised per group (a member gets
 * the most generous value any of their groups gives, field by field). Usage is worked out from
 * the instances in the store, so every replica sees the same.
 */
export class QuotaService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    readonly defaults: Quota,
  ) {}

  async quotaOf(userId: string, db: Kysely<Database> = this.db): Promise<Quota> {
    return this.quotaFrom(await raisesOf(db, [userId]));
  }

  /** The defaults, raised field by field by the most generous of `raises`. */
  private quotaFrom(raises: GroupQuota[]): Quota {
    const most = (field: number, values: Array<number | null>) => Math.max(field, ...values.filter((v): v is number => v !== null));
    return {
      instances: most(this.defaults.instances, raises.map((r) => r.instances)),
      cpuMillis: most(this.defaults.cpuMillis, raises.map((r) => r.cpuMillis)),
      memoryBytes: most(this.defaults.memoryBytes, raises.map((r) => r.memoryBytes)),
    };
  }

  async usageOf(userId: string): Promise<Usage> {
    return usageOf(await activeInstancesOf(this.db, [userId]));
  }

  /** The quota and usage of many users in two queries (the admins' usage page). */
  async overview(userIds: string[]): Promise<Map<string, { quota: Quota; usage: Usage }>> {
    const [raises, rows] = await Promise.all([raisesOf(this.db, userIds), activeInstancesOf(this.db, userIds)]);
    const raisesBy = groupBy(raises, (raise) => raise.user_id);
    const rowsBy = groupBy(rows, (row) => row.owner_id);
    return new Map(userIds.map((id) => [id, { quota: this.quotaFrom(raisesBy.get(id) ?? []), usage: usageOf(rowsBy.get(id) ?? []) }]));
  }

  /**
   * Runs `write` (which records the new or restarted instance) only if it keeps the user within
   * their quota: a new instance of `lab` (`adding: {instance}`), or starting a stopped one
   * (`adding: {resourcesOf}`, its own resources left out of the usage); else refuses with 409,
   * naming the limit, the quota and the current usage. Check and write are one transaction, the
   * user's row locked on PostgreSQL (SQLite runs transactions one at a time), so simultaneous
   * starts cannot both take the last free place.
   */
  async withRoom<T>(userId: string, lab: NormalizedLab, adding: { instance: true } | { resourcesOf: string }, write: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
      await this.assertRoom(trx, userId, lab, adding);
      return write(trx);
    });
  }

  private async assertRoom(db: Kysely<Database>, userId: string, lab: NormalizedLab, adding: { instance: true } | { resourcesOf: string }): Promise<void> {
    const [quota, rows] = await Promise.all([this.quotaOf(userId, db), activeInstancesOf(db, [userId])]);
    const usage = usageOf('resourcesOf' in adding ? rows.filter((row) => row.id !== adding.resourcesOf) : rows);
    const needs = resourcesOf(lab);
    if ('instance' in adding && usage.instances + 1 > quota.instances) {
      throw refusal('instances', `You have ${usage.instances} instance${usage.instances === 1 ? '' : 's'} and your quota is ${quota.instances}; delete one you no longer need first.`, quota.instances, usage.instances, 1);
    }
    if (usage.cpuMillis + needs.cpuMillis > quota.cpuMillis) {
      throw refusal('cpu', `This lab needs ${cpu(needs.cpuMillis)} CPU; your running instances use ${cpu(usage.cpuMillis)} of your ${cpu(quota.cpuMillis)}. Stop or delete one first.`, quota.cpuMillis, usage.cpuMillis, needs.cpuMillis);
    }
    if (usage.memoryBytes + needs.memoryBytes > quota.memoryBytes) {
      throw refusal('memory', `This lab needs ${formatBytes(needs.memoryBytes)} of memory; your running instances use ${formatBytes(usage.memoryBytes)} of your ${formatBytes(quota.memoryBytes)}. Stop or delete one first.`, quota.memoryBytes, usage.memoryBytes, needs.memoryBytes);
    }
  }

  /** Sets (or with all fields null, removes) a group's raise. */
  async setGroupQuota(groupId: string, quota: GroupQuota, now = Date.now()): Promise<void> {
    if (quota.instances === null && quota.cpuMillis === null && quota.memoryBytes === null) {
      await this.db.deleteFrom('group_quotas').where('group_id', '=', groupId).execute();
      return;
    }
    const row = { group_id: groupId, instances: quota.instances, cpu_millis: quota.cpuMillis, memory_bytes: quota.memoryBytes, updated_at: now };
    await this.db
      .insertInto('group_quotas')
      .values(row)
      .onConflict((oc) => oc.column('group_id').doUpdateSet({ instances: row.instances, cpu_millis: row.cpu_millis, memory_bytes: row.memory_bytes, updated_at: now }))
      .execute();
  }

  /** Every group's raise, by group id. */
  async groupQuotas(): Promise<Map<string, GroupQuota>> {
    const rows = await this.db.selectFrom('group_quotas').selectAll().execute();
    return new Map(rows.map((row) => [row.group_id, { instances: row.instances, cpuMillis: row.cpu_millis, memoryBytes: row.memory_bytes === null ? null : Number(row.memory_bytes) }]));
  }
}

type UsageRow = Pick<InstanceRow, 'desired' | 'lab_snapshot'>;

/** `Map.groupBy`, which Node 20 does not have yet. */
function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The instances of these users that are not being deleted. */
function activeInstancesOf(db: Kysely<Database>, userIds: string[]): Promise<Array<Pick<InstanceRow, 'id' | 'owner_id' | 'desired' | 'lab_snapshot'>>> {
  if (userIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('instances').select(['id', 'owner_id', 'desired', 'lab_snapshot']).where('owner_id', 'in', userIds).where('desired', '!=', 'deleted').execute();
}

/** The raises the groups of these users give them. */
async function raisesOf(db: Kysely<Database>, userIds: string[]): Promise<Array<GroupQuota & { user_id: string }>> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('group_quotas')
    .innerJoin('group_members', 'group_members.group_id', 'group_quotas.group_id')
    .select(['group_members.user_id', 'group_quotas.instances', 'group_quotas.cpu_millis', 'group_quotas.memory_bytes'])
    .where('group_members.user_id', 'in', userIds)
    .execute();
  return rows.map((row) => ({ user_id: row.user_id, instances: row.instances, cpuMillis: row.cpu_millis, memoryBytes: row.memory_bytes === null ? null : Number(row.memory_bytes) }));
}

function usageOf(rows: UsageRow[]): Usage {
  const usage: Usage = { instances: rows.length, cpuMillis: 0, memoryBytes: 0 };
  for (const row of rows) {
    // A stopped instance keeps its disks but holds no cpu or memory.
    if (row.desired !== 'running' && row.desired !== 'paused') continue;
    const needs = resourcesOf(labOf(row));
    usage.cpuMillis += needs.cpuMillis;
    usage.memoryBytes += needs.memoryBytes;
  }
  return usage;
}

function resourcesOf(lab: NormalizedLab): { cpuMillis: number; memoryBytes: number } {
  return lab.machines.reduce((sum, machine) => ({ cpuMillis: sum.cpuMillis + machine.resources.cpuMillis, memoryBytes: sum.memoryBytes + machine.resources.memoryBytes }), { cpuMillis: 0, memoryBytes: 0 });
}

function cpu(millis: number): string {
  return `${Number((millis / 1000).toFixed(2))}`;
}

function refusal(limit: 'instances' | 'cpu' | 'memory', message: string, max: number, current: number, requested: number): LabhubError {
  return new LabhubError('LABHUB_LIMIT_REACHED', message, { details: { limit: `quota.${limit}`, max, current, requested } });
}
