import type { FastifyBaseLogger } from 'fastify';
import type { Instance, InstanceMachine, PowerAction } from '../../common/instances.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { LabhubError } from '../errors.js';
import { newInstanceId } from '../runtime/naming.js';
import { RuntimeError, type Progress, type Runtime } from '../runtime/runtime.js';
import type { InstanceRepository, InstanceRow } from '../store/instances.js';
import type { UserRow } from '../store/users.js';
import { planFor } from './plan.js';

/** Where the service finds labs: the catalog, which knows file and store labs and their versions. */
export interface LabResolver {
  /** The latest valid version of the lab; throws LabhubError 404 when unknown, 409 when broken. */
  resolve(name: string): Promise<{ lab: NormalizedLab; version: number }>;
}

type StoredMachine = Omit<InstanceMachine, 'access'>;

/**
 * Instances: records what each learner's lab should be (desired state) and drives the runtime
 * there. Operations on one instance run one at a time, in order; the HTTP call returns at once
 * with the instance as it is, and progress shows in its status and message.
 */
export class InstanceService {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly instances: InstanceRepository,
    private readonly runtime: Runtime,
    private readonly labs: LabResolver,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {}

  async create(user: UserRow, labName: string): Promise<Instance> {
    const { lab, version } = await this.labs.resolve(labName);
    const active = await this.instances.countActive(user.id, lab.name);
    if (active >= lab.limits.maxInstancesPerUser) {
      throw new LabhubError('LABHUB_LIMIT_REACHED', `You already have ${active} instance${active === 1 ? '' : 's'} of "${lab.title}"; the lab allows ${lab.limits.maxInstancesPerUser} per user (maxInstancesPerUser).`, {
        details: { limit: 'maxInstancesPerUser', max: lab.limits.maxInstancesPerUser, current: active },
      });
    }
    const now = this.now();
    const row: InstanceRow = {
      id: newInstanceId(),
      owner_id: user.id,
      lab_name: lab.name,
      lab_version: version,
      lab_snapshot: JSON.stringify(lab),
      desired: 'running',
      status: 'starting',
      message: 'queued',
      machines: JSON.stringify(lab.machines.map((m): StoredMachine => ({ name: m.name, type: m.type, state: 'pending' }))),
      created_at: now,
      updated_at: now,
      expires_at: lab.limits.timeLimitSeconds > 0 ? now + lab.limits.timeLimitSeconds * 1000 : null,
    };
    await this.instances.insert(row);
    this.enqueue(row.id, () => this.startFresh(row.id, user.username));
    return toInstance(row, user.username);
  }

  /** The instances `user` may see: their own, or all of them for admins. */
  list(user: UserRow): Promise<InstanceRow[]> {
    return this.instances.list(user.role === 'admin' ? {} : { ownerId: user.id });
  }

  /** The instance if `user` may see it; others get 404 (they must not learn it exists). */
  async get(id: string, user: UserRow): Promise<InstanceRow> {
    const row = await this.instances.find(id);
    if (!row || (row.owner_id !== user.id && user.role !== 'admin')) throw new LabhubError('LABHUB_NOT_FOUND', 'There is no such instance.');
    return row;
  }

  async power(row: InstanceRow, owner: string, action: PowerAction): Promise<InstanceRow> {
    if (row.status === 'deleting') throw new LabhubError('LABHUB_CONFLICT', 'The instance is being deleted.');
    const lab = JSON.parse(row.lab_snapshot) as NormalizedLab;
    const plan = () => planFor(row.id, owner, lab, row.lab_version);
    const steps: Record<PowerAction, { desired: InstanceRow['desired']; status: InstanceRow['status']; message: string; run: () => Promise<void>; settled: InstanceRow['status'] }> = {
      start: { desired: 'running', status: 'starting', message: 'starting', run: () => this.runtime.apply(plan(), this.progressOf(row.id)), settled: 'running' },
      stop: { desired: 'stopped', status: 'stopping', message: 'stopping', run: () => this.runtime.setPower(row.id, 'stopped'), settled: 'stopped' },
      pause: { desired: 'paused', status: row.status, message: 'pausing', run: () => this.runtime.setPower(row.id, 'paused'), settled: 'paused' },
      resume: { desired: 'running', status: row.status, message: 'resuming', run: () => this.runtime.setPower(row.id, 'running'), settled: 'running' },
      reset: { desired: 'running', status: 'starting', message: 'resetting to the base image', run: () => this.runtime.reset(row.id, plan()), settled: 'running' },
    };
    if (action === 'pause' && !this.runtime.capabilities().pause) throw new LabhubError('LABHUB_CONFLICT', 'This runtime cannot pause machines.');
    const step = steps[action];
    await this.instances.update(row.id, { desired: step.desired, status: step.status, message: step.message }, this.now());
    this.enqueue(row.id, async () => {
      await step.run();
      await this.instances.update(row.id, { status: step.settled, message: null, machines: JSON.stringify(machinesIn(row, step.settled)) }, this.now());
    });
    return { ...row, desired: step.desired, status: step.status, message: step.message };
  }

  async delete(row: InstanceRow): Promise<void> {
    await this.instances.update(row.id, { desired: 'deleted', status: 'deleting', message: 'deleting' }, this.now());
    this.enqueue(row.id, async () => {
      await this.runtime.destroy(row.id);
      await this.instances.delete(row.id);
    });
  }

  /** Resolves when every queued operation on the instance has finished (tests, shutdown). */
  async settled(id: string): Promise<void> {
    while (this.queues.has(id)) await this.queues.get(id);
  }

  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()]);
  }

  private async startFresh(id: string, owner: string): Promise<void> {
    const row = await this.instances.find(id);
    if (!row) return;
    const lab = JSON.parse(row.lab_snapshot) as NormalizedLab;
    await this.runtime.apply(planFor(id, owner, lab, row.lab_version), this.progressOf(id));
    await this.instances.update(id, { status: 'running', message: null, machines: JSON.stringify(machinesIn(row, 'running')) }, this.now());
  }

  private progressOf(id: string): (progress: Progress) => void {
    return (progress) => {
      const message = progress.machine && !progress.message.includes(progress.machine) ? `${progress.machine}: ${progress.message}` : progress.message;
      void this.instances.update(id, { message }, this.now()).catch((error: unknown) => this.log.warn({ err: error, instance: id }, 'progress update failed'));
    };
  }

  /** Runs operations on one instance strictly one after another; a failure marks the instance failed with the reason. */
  private enqueue(id: string, operation: () => Promise<void>): void {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous
      .then(operation)
      .catch(async (error: unknown) => {
        const message = error instanceof RuntimeError || error instanceof LabhubError ? error.message : 'The operation failed; see the server log.';
        if (!(error instanceof RuntimeError)) this.log.error({ err: error, instance: id }, 'instance operation failed');
        const failedMachine = error instanceof RuntimeError ? error.machine : undefined;
        const row = await this.instances.find(id).catch(() => undefined);
        const machines = row
          ? (JSON.parse(row.machines) as StoredMachine[]).map((m) => (m.name === failedMachine ? { ...m, state: 'failed' as const, message } : m))
          : undefined;
        await this.instances.update(id, { status: 'failed', message, ...(machines && { machines: JSON.stringify(machines) }) }, this.now()).catch(() => {});
      })
      .finally(() => {
        if (this.queues.get(id) === next) this.queues.delete(id);
      });
    this.queues.set(id, next);
  }
}

function machinesIn(row: InstanceRow, status: InstanceRow['status']): StoredMachine[] {
  const state: StoredMachine['state'] = status === 'running' ? 'running' : status === 'paused' ? 'paused' : status === 'stopped' ? 'stopped' : 'pending';
  return (JSON.parse(row.machines) as StoredMachine[]).map((m) => ({ name: m.name, type: m.type, state }));
}

export function toInstance(row: InstanceRow, owner: string): Instance {
  const lab = JSON.parse(row.lab_snapshot) as NormalizedLab;
  const stored = JSON.parse(row.machines) as StoredMachine[];
  return {
    id: row.id,
    owner,
    lab: { name: lab.name, title: lab.title, version: row.lab_version },
    status: row.status,
    desired: row.desired,
    message: row.message,
    machines: lab.machines.map((machine) => {
      const seen = stored.find((m) => m.name === machine.name);
      return { name: machine.name, type: machine.type, state: seen?.state ?? 'pending', ...(seen?.message && { message: seen.message }), access: machine.access };
    }),
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  };
}
