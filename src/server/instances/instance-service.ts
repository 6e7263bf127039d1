import type { FastifyBaseLogger } from 'fastify';
import type { Instance, InstanceAccess, InstanceMachine, PowerAction } from '../../common/instances.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { LabhubError } from '../errors.js';
import { newInstanceId } from '../runtime/naming.js';
import { RuntimeError, type MachineObservation, type Progress, type Runtime } from '../runtime/runtime.js';
import { InstanceRepository, type InstanceRow } from '../store/instances.js';
import type { UserRow } from '../store/users.js';
import type { InstanceAccessPolicy, InstanceUse } from './access.js';
import type { QuotaService } from './quotas.js';
import { planFor } from './plan.js';
import { labOf } from './snapshot.js';
import { extendClock, newClock, startClock, stopClock, timeLeftMs } from './time-limit.js';
import { learnerFailure, learnerProgress } from './learner-words.js';

/** Where the service finds labs: the catalog, which knows file and store labs and their versions. */
export interface LabResolver {
  /** The latest valid version of the lab; throws LabhubError 404 when unknown, 409 when broken. */
  resolve(name: string): Promise<{ lab: NormalizedLab; version: number }>;
}

/** Usernames by user id: the runtime labels objects with the owner's name. */
export interface OwnerNames {
  usernames(ids: string[]): Promise<Map<string, string>>;
}

type StoredMachine = Omit<InstanceMachine, 'access' | 'apps'>;
type Desired = InstanceRow['desired'];

/** How the status reads while the runtime is being moved to each desired state, and once it is there. */
const transitions: Record<Desired, { during: InstanceRow['status']; settled: InstanceRow['status'] }> = {
  running: { during: 'starting', settled: 'running' },
  stopped: { during: 'stopping', settled: 'stopped' },
  // Machines keep running until they are frozen.
  paused: { during: 'running', settled: 'paused' },
  deleted: { during: 'deleting', settled: 'deleting' },
};

/**
 * Instances: records what each learner's lab should be (desired state) and drives the runtime
 * there (`converge`). Operations on one instance run one at a time, in order; the HTTP call
 * returns at once, and progress shows in the status and message. The reconciler calls
 * `converge` for whatever a crash interrupted.
 */
export class InstanceService {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly instances: InstanceRepository,
    private readonly runtime: Runtime,
    private readonly labs: LabResolver,
    private readonly owners: OwnerNames,
    /** This installation's id (labels every workload). */
    private readonly installation: string,
    private readonly access: InstanceAccessPolicy,
    private readonly quotas: QuotaService,
    private readonly log: FastifyBaseLogger,
    /** The service's clock (tests move it): time limits and the API's "time left" read it. */
    readonly now: () => number = Date.now,
  ) {}

  async create(user: UserRow, labName: string): Promise<InstanceRow> {
    const { lab, version } = await this.labs.resolve(labName);
    const now = this.now();
    const row: InstanceRow = {
      id: newInstanceId(),
      owner_id: user.id,
      lab_name: lab.name,
      lab_version: version,
      lab_snapshot: JSON.stringify(lab),
      desired: 'running',
      status: 'starting',
      message: 'Waiting to start',
      progress: 0,
      machines: JSON.stringify(lab.machines.map((m): StoredMachine => ({ name: m.name, type: m.type, state: 'pending' }))),
      created_at: now,
      updated_at: now,
      // The time limit's clock starts once the machines run, not while images build (time-limit.ts).
      ...newClock(lab.limits.timeLimitSeconds * 1000),
    };
    // The lab's own limit and the user's quota are checked in the transaction that records the instance.
    await this.quotas.withRoom(user.id, lab, { instance: true }, async (trx) => {
      const instances = new InstanceRepository(trx);
      const active = await instances.countActive(user.id, lab.name);
      if (active >= lab.limits.maxInstancesPerUser) {
        // The ones they have, newest first: a page can take the learner to theirs (a second click on Start lands there).
        const theirs = (await instances.list({ ownerId: user.id, labName: lab.name })).filter((instance) => instance.desired !== 'deleted').map((instance) => instance.id);
        throw new LabhubError('LABHUB_LIMIT_REACHED', `You already have ${active} instance${active === 1 ? '' : 's'} of "${lab.title}", and the lab allows ${lab.limits.maxInstancesPerUser} per person.`, {
          details: { limit: 'maxInstancesPerUser', max: lab.limits.maxInstancesPerUser, current: active, instances: theirs },
        });
      }
      await instances.insert(row);
    });
    this.enqueue(row.id, () => this.converge(row.id));
    return row;
  }

  /** The instances `user` may see, with their access: their own and those shared with them, or all of them for admins. */
  async list(user: UserRow): Promise<Array<{ row: InstanceRow; access: InstanceAccess }>> {
    if (user.role === 'admin') return (await this.instances.list()).map((row) => ({ row, access: row.owner_id === user.id ? 'owner' : 'admin' }));
    const shared = await this.access.sharedWith(user);
    const rows = await this.instances.list({ ownerOrIds: { ownerId: user.id, ids: [...shared.keys()] } });
    return rows.map((row) => ({ row, access: row.owner_id === user.id ? 'owner' : (shared.get(row.id) ?? 'view') }));
  }

  /** Every instance, for the reconciler. */
  all(): Promise<InstanceRow[]> {
    return this.instances.list();
  }

  /** Every instance of a lab, for its authors. */
  ofLab(labName: string): Promise<InstanceRow[]> {
    return this.instances.list({ labName });
  }

  /**
   * The instance and the caller's access, if they may `use` it (docs/architecture.md §5). Those who may not
   * see it get 404 (they must not learn it exists); those who may see it but not do this, 403.
   */
  async authorize(id: string, user: UserRow, use: InstanceUse): Promise<{ row: InstanceRow; access: InstanceAccess }> {
    return this.access.assert(await this.instances.find(id), user, use);
  }

  /** The instance if the caller may `use` it (see `authorize`). */
  async get(id: string, user: UserRow, use: InstanceUse = 'watch'): Promise<InstanceRow> {
    return (await this.authorize(id, user, use)).row;
  }

  /** Changes the desired power state; `reason` (e.g. a limit) stays as the message once done. */
  async power(row: InstanceRow, action: PowerAction, reason?: string): Promise<InstanceRow> {
    if (row.desired === 'deleted') throw new LabhubError('LABHUB_CONFLICT', 'The instance is being deleted.');
    if (action === 'pause' && !this.runtime.capabilities().pause) throw new LabhubError('LABHUB_CONFLICT', 'This runtime cannot pause machines.');
    const desired: Desired = action === 'stop' ? 'stopped' : action === 'pause' ? 'paused' : 'running';
    const lab = snapshotOf(row);
    const now = this.now();
    // Stopping and starting again does not give new time: a start needs running time left.
    if (desired !== 'stopped' && row.clock_started_at === null && timeLeftMs(row, now) === 0) {
      throw new LabhubError('LABHUB_LIMIT_REACHED', 'This instance has used all of its time. Extend it to start it again, or delete it.', { details: { limit: 'timeLimit' } });
    }
    const changes: Partial<InstanceRow> = {
      desired,
      status: transitions[desired].during,
      message: reason ?? { start: 'Starting', stop: 'Stopping', pause: 'Pausing', resume: 'Resuming', reset: 'Resetting to the base images' }[action],
      progress: desired === 'running' ? 0 : null,
      ...(desired === 'stopped' && stopClock(row, now)),
    };
    // Turning a stopped instance back on takes cpu and memory again: from its owner's quota.
    if (desired === 'running' && row.desired === 'stopped') await this.quotas.withRoom(row.owner_id, lab, { resourcesOf: row.id }, (trx) => new InstanceRepository(trx).update(row.id, changes, this.now()));
    else await this.instances.update(row.id, changes, this.now());
    this.enqueue(row.id, () => this.converge(row.id, { reset: action === 'reset', ...(reason && { reason }) }));
    return { ...row, ...changes };
  }

  /** Gives the instance more running time: half the lab's time limit, up to three time limits in all (time-limit.ts). */
  async extend(row: InstanceRow): Promise<InstanceRow> {
    const changes = extendClock(row, snapshotOf(row).limits.timeLimitSeconds * 1000);
    await this.instances.update(row.id, changes, this.now());
    return { ...row, ...changes };
  }

  async delete(row: InstanceRow): Promise<void> {
    await this.instances.update(row.id, { desired: 'deleted', status: 'deleting', message: 'deleting' }, this.now());
    this.enqueue(row.id, () => this.converge(row.id));
  }

  /** Whether the recorded status is where the desired state leads (or failed, which waits for the learner). */
  static converged(row: InstanceRow): boolean {
    return row.status === 'failed' || (row.desired !== 'deleted' && row.status === transitions[row.desired].settled);
  }

  /** Whether an operation on the instance is queued or running in this process. */
  busy(id: string): boolean {
    return this.queues.has(id);
  }

  /** Queues a convergence for an instance whose recorded state is not what it should be (the reconciler's entry point). */
  reconcile(id: string): void {
    if (!this.busy(id)) this.enqueue(id, () => this.converge(id));
  }

  /** Records what the runtime saw of a machine; a running instance whose machine stops on its own is marked failed. */
  async observed(observation: MachineObservation): Promise<void> {
    if (this.busy(observation.instanceId)) return;
    const row = await this.instances.find(observation.instanceId);
    if (!row || row.status !== 'running') return;
    const unexpected = observation.state === 'stopped' || observation.state === 'failed' || observation.state === 'removed';
    if (!unexpected) return;
    const why = observation.state === 'removed' ? 'was removed' : observation.message ?? 'stopped';
    const message = `Machine "${observation.machine}" ${why.startsWith('exited') ? why : `${why} unexpectedly`}; start the instance again to continue.`;
    const machines = machinesOf(row).map((m) => (m.name === observation.machine ? { ...m, state: 'failed' as const, message } : m));
    await this.instances.update(row.id, { status: 'failed', message, machines: JSON.stringify(machines), ...stopClock(row, this.now()) }, this.now());
  }

  /** Resolves when every queued operation on the instance has finished (tests, shutdown). */
  async settled(id: string): Promise<void> {
    while (this.queues.has(id)) await this.queues.get(id);
  }

  /** Drives the runtime to the instance's desired state and records the result. */
  private async converge(id: string, options: { reset?: boolean; reason?: string } = {}): Promise<void> {
    const row = await this.instances.find(id);
    if (!row) return;
    if (row.desired === 'deleted') {
      await this.runtime.destroy(id);
      await this.instances.delete(id);
      return;
    }
    const owner = (await this.owners.usernames([row.owner_id])).get(row.owner_id) ?? row.owner_id;
    const plan = planFor(this.installation, id, owner, snapshotOf(row), row.lab_version);
    if (options.reset) await this.runtime.reset(id, plan);
    // apply() creates what is missing and starts or unpauses what is not running.
    else if (row.desired === 'running') await this.runtime.apply(plan, this.progressOf(id, snapshotOf(row)));
    else await this.runtime.setPower(id, row.desired);
    const settled = transitions[row.desired].settled;
    const state: StoredMachine['state'] = settled === 'running' ? 'running' : settled === 'paused' ? 'paused' : 'stopped';
    const current = await this.instances.find(id);
    // Another request may have changed the desired state meanwhile; its own operation is queued after this one.
    if (!current || current.desired !== row.desired) return;
    // The time limit counts while the machines run or are paused, from the moment they are up.
    const clock = settled === 'stopped' ? stopClock(current, this.now()) : startClock(current, this.now());
    await this.instances.update(id, { status: settled, message: options.reason ?? null, machines: JSON.stringify(machinesOf(row).map((m) => ({ name: m.name, type: m.type, state }))), progress: null, ...clock }, this.now());
  }

  /** The runtime's progress: its own words in the server log (for admins), the learner's words and a percentage in the store. */
  private progressOf(id: string, lab: NormalizedLab): (progress: Progress) => void {
    let percent = 0;
    return (progress) => {
      this.log.info({ instance: id, machine: progress.machine, step: progress.step, detail: progress.message }, 'instance progress');
      const words = learnerProgress(progress, lab);
      // Machines move through the steps one after another: the bar never goes back.
      percent = Math.max(percent, words.percent);
      void this.instances.update(id, { message: words.message, progress: percent }, this.now()).catch((error: unknown) => this.log.warn({ err: error, instance: id }, 'progress update failed'));
    };
  }

  /** Runs operations on one instance strictly one after another; a failure marks the instance failed with the reason. */
  private enqueue(id: string, operation: () => Promise<void>): void {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous
      .then(operation)
      .catch(async (error: unknown) => {
        const failedMachine = error instanceof RuntimeError ? error.machine : undefined;
        if (error instanceof RuntimeError) this.log.warn({ err: error, instance: id, machine: failedMachine, kind: error.kind }, 'instance operation failed');
        else this.log.error({ err: error, instance: id }, 'instance operation failed');
        const row = await this.instances.find(id).catch(() => undefined);
        if (!row) return;
        const message = error instanceof RuntimeError ? learnerFailure(error, row.desired) : error instanceof LabhubError ? error.message : "The operation failed; labhub's log has the details.";
        const machines = machinesOf(row).map((m) => (m.name === failedMachine ? { ...m, state: 'failed' as const, message } : m));
        await this.instances.update(id, { status: 'failed', message, progress: null, machines: JSON.stringify(machines), ...stopClock(row, this.now()) }, this.now()).catch(() => {});
      })
      .finally(() => {
        if (this.queues.get(id) === next) this.queues.delete(id);
      });
    this.queues.set(id, next);
  }
}

function snapshotOf(row: InstanceRow): NormalizedLab {
  return labOf(row);
}

function machinesOf(row: InstanceRow): StoredMachine[] {
  return JSON.parse(row.machines) as StoredMachine[];
}

/** What the API view adds to the stored instance. */
export interface InstanceViewContext {
  owner: string;
  /** The caller's access. */
  access: InstanceAccess;
  /** When it will be stopped for inactivity, if nothing happens before. */
  idleStopAt: number | null;
  /** The service's clock now, for the running time left. */
  now: number;
  /** The link that opens an app of a machine. */
  appUrl: (instanceId: string, machine: string, port: number) => string;
}

/** The API view of an instance. */
export function toInstance(row: InstanceRow, context: InstanceViewContext): Instance {
  const lab = snapshotOf(row);
  const stored = machinesOf(row);
  return {
    id: row.id,
    owner: context.owner,
    access: context.access,
    lab: { name: lab.name, title: lab.title, version: row.lab_version },
    status: row.status,
    desired: row.desired,
    message: row.message,
    progress: row.status === 'starting' ? row.progress : null,
    machines: lab.machines.map((machine) => {
      const seen = stored.find((m) => m.name === machine.name);
      const ports = machine.access.flatMap((access) => (typeof access === 'object' ? [access.http] : []));
      return {
        name: machine.name,
        type: machine.type,
        state: seen?.state ?? 'pending',
        ...(seen?.message && { message: seen.message }),
        access: machine.access,
        apps: ports.map((port) => ({ port, url: context.appUrl(row.id, machine.name, port) })),
      };
    }),
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    timeLeftSeconds: ((left) => (left === null ? null : Math.floor(left / 1000)))(timeLeftMs(row, context.now)),
    idleStopAt: context.idleStopAt === null ? null : new Date(context.idleStopAt).toISOString(),
  };
}
