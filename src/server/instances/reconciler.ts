import type { FastifyBaseLogger } from 'fastify';
import type { ActivityTracker } from '../gateway/activity.js';
import type { Runtime } from '../runtime/runtime.js';
import { InstanceService } from './instance-service.js';
import { idleDeadline } from './limits.js';

export interface ReconcilerOptions {
  /** How often the store and the runtime are compared in full. */
  intervalMs: number;
  /** Labelled workloads with no instance record are removed once seen this long (a start may be writing its record). */
  orphanGraceMs: number;
}

export const defaultReconcilerOptions: ReconcilerOptions = { intervalMs: 15_000, orphanGraceMs: 60_000 };

/**
 * Makes the runtime agree with the store (JupyterHub's `check_routes`, on a timer and at
 * start): resumes operations a crash interrupted, enforces time and idle limits, and removes
 * workloads labelled with this installation that no record owns. Machine state changes stream in from `observe()`.
 */
export class Reconciler {
  private readonly orphansSeen = new Map<string, number>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly instances: InstanceService,
    private readonly runtime: Runtime,
    private readonly activity: ActivityTracker,
    private readonly installation: string,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
    private readonly options: ReconcilerOptions = defaultReconcilerOptions,
  ) {}

  start(): void {
    void this.watch();
    const loop = () => {
      this.timer = setTimeout(() => void this.tick().finally(loop), this.options.intervalMs);
      this.timer.unref();
    };
    void this.tick().finally(loop);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.abort.abort();
  }

  /** One full comparison. Runs one at a time; concurrent callers share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.log.warn({ err: error }, 'reconcile pass failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.now();
    const rows = await this.instances.all();
    for (const row of rows) {
      if (this.instances.busy(row.id)) continue;
      const idleAt = idleDeadline(row, this.activity);
      if (!InstanceService.converged(row)) {
        // Nothing in this process is working on it: a crash interrupted the operation.
        this.instances.reconcile(row.id);
      } else if ((row.desired === 'running' || row.desired === 'paused') && row.expires_at !== null && row.expires_at <= now) {
        await this.instances.power(row, 'stop', 'Stopped: the time limit was reached.');
        this.activity.forget(row.id);
      } else if (idleAt !== null && idleAt <= now) {
        await this.instances.power(row, 'stop', 'Stopped after a time without activity.');
        this.activity.forget(row.id);
      }
    }
    await this.collectOrphans(new Set(rows.map((row) => row.id)), now);
  }

  private async collectOrphans(known: Set<string>, now: number): Promise<void> {
    const observed = await this.runtime.list();
    // Only what this installation made: another labhub (or a test) may share the engine.
    const orphans = new Set(observed.filter((instance) => instance.installation === this.installation && !known.has(instance.instanceId)).map((instance) => instance.instanceId));
    for (const id of this.orphansSeen.keys()) if (!orphans.has(id)) this.orphansSeen.delete(id);
    for (const id of orphans) {
      const since = this.orphansSeen.get(id) ?? now;
      this.orphansSeen.set(id, since);
      if (now - since < this.options.orphanGraceMs) continue;
      this.log.info({ instance: id }, 'removing workloads that no instance owns');
      await this.runtime.destroy(id).catch((error: unknown) => this.log.warn({ err: error, instance: id }, 'removing an orphan failed'));
      this.orphansSeen.delete(id);
    }
  }

  private async watch(): Promise<void> {
    try {
      for await (const observation of this.runtime.observe(this.abort.signal)) {
        await this.instances.observed(observation).catch((error: unknown) => this.log.warn({ err: error }, 'recording an observation failed'));
      }
    } catch (error) {
      if (!this.abort.signal.aborted) this.log.warn({ err: error }, 'watching the runtime stopped');
    }
  }
}
