import type { FastifyBaseLogger } from 'fastify';
import type { DoctorReport } from '../../common/doctor.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { LabhubError } from '../errors.js';
import { checkLine, databaseCheck, diskCheck, engineCheck, imagesCheck, networkCheck, runcCheck, vmCheck, type HostCheck } from './checks.js';
import { databaseFacts, diskFacts, engineFacts, imageFacts, networkFacts, runcFacts, vmFacts } from './host-facts.js';

/** How long a report stands before a start looks again: a passing one long, a failing one briefly (an admin may be fixing it). */
const passingForMs = 5 * 60_000;
const failingForMs = 15_000;
/** What "run now" means for the admin page: a run younger than this is shown as it is. */
const recentMs = 10_000;

export interface HostCheckOptions {
  /**
   * The local runtime whose engine and host the checks are about, with its KVM verdict (known after
   * the first VM start); undefined for any other runtime (Kubernetes: the cluster's needs are not
   * this host's; test doubles), where only the database is checked.
   */
  localRuntime: { kvm(): boolean | undefined } | undefined;
  engineSocket: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Answers when the store does (`select 1`). */
  pingDatabase: () => Promise<unknown>;
  /** Start Podman's API service when nothing answers, as the local runtime does (default true). */
  startEngine?: boolean;
}

/**
 * The host checks of `labhub doctor`, at server start and on the admin page: what the local
 * runtime needs (engine, networks with DNS and isolation, runc, VMs, base images, disk) and the
 * database. The Kubernetes runtime's needs are the cluster's, not this host's: only the database
 * is checked there.
 */
export async function hostChecks(options: HostCheckOptions): Promise<HostCheck[]> {
  const database = databaseCheck(await databaseFacts(options.databaseUrl, options.dataDir, options.pingDatabase));
  const local = options.localRuntime;
  if (!local) return [database];
  const engine = await engineFacts(options.engineSocket, options.startEngine ?? true);
  const checks: HostCheck[] = [engineCheck(engine.facts)];
  if (engine.facts.reachable && engine.docker) {
    const facts = engine.facts;
    checks.push(
      networkCheck(
        await networkFacts(engine.docker, facts).catch((error: unknown) => ({
          engine: 'podman' as const,
          backend: 'unknown',
          aardvarkDns: false,
          iptables: true,
          probe: { error: (error as Error).message },
        })),
      ),
    );
    checks.push(runcCheck(runcFacts()));
    checks.push(vmCheck(vmFacts(local.kvm())));
    checks.push(imagesCheck(await imageFacts(engine.docker, facts, options.dataDir)));
  } else {
    checks.push(runcCheck(runcFacts()), vmCheck(vmFacts(local.kvm())));
  }
  checks.push(diskCheck(diskFacts(options.dataDir)), database);
  return checks;
}

/**
 * Runs the host checks, keeps the latest report, and refuses to start a lab that needs
 * something a failed check says is missing (409 LABHUB_HOST_NOT_READY, with the check's own
 * sentence), rather than handing a learner a half-working lab.
 */
export class Doctor {
  private latest: { at: number; checks: HostCheck[] } | undefined;
  private running: Promise<HostCheck[]> | undefined;

  constructor(
    private readonly runChecks: () => Promise<HostCheck[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs every check now (one run at a time: callers during a run share it). */
  check(): Promise<HostCheck[]> {
    this.running ??= this.runChecks()
      .then((checks) => {
        this.latest = { at: this.now(), checks };
        return checks;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** The latest checks, run again when they are stale. */
  async current(): Promise<HostCheck[]> {
    const latest = this.latest;
    if (latest && this.now() - latest.at < (latest.checks.every((check) => check.ok) ? passingForMs : failingForMs)) return latest.checks;
    return this.check();
  }

  /** The checks as the API shows them, run again unless the latest run is younger than `maxAgeMs` (a page reload does not probe the engine each time). */
  async report(maxAgeMs = recentMs): Promise<DoctorReport> {
    const latest = this.latest;
    const checks = latest && this.now() - latest.at < maxAgeMs ? latest.checks : await this.check();
    return {
      checkedAt: new Date(this.latest?.at ?? this.now()).toISOString(),
      ok: checks.every((check) => check.ok),
      checks: checks.map(({ blocks: _blocks, ...check }) => check),
    };
  }

  /** Runs the checks and logs one line each: at server start. */
  async logTo(log: FastifyBaseLogger): Promise<void> {
    for (const check of await this.check()) {
      if (check.ok) log.info({ check: check.id }, checkLine(check));
      else log.warn({ check: check.id, fix: check.fix }, checkLine(check));
    }
  }

  /** Throws LABHUB_HOST_NOT_READY naming the first failed check that keeps `lab` from working here. */
  async assertCanStart(lab: Pick<NormalizedLab, 'machines'>): Promise<void> {
    const needed = imagesOf(lab);
    const hasVm = lab.machines.some((machine) => machine.type === 'vm');
    const blocking = (await this.current()).find((check) => {
      if (check.ok || !check.blocks) return false;
      if ('every' in check.blocks) return true;
      if ('vms' in check.blocks) return hasVm;
      return check.blocks.images.some((image) => needed.has(image));
    });
    if (!blocking) return;
    throw new LabhubError(
      'LABHUB_HOST_NOT_READY',
      `This lab cannot start on this server: ${blocking.message}. An admin can fix it: ${blocking.fix ?? 'see labhub doctor'}.`,
      {
        details: { check: blocking.id, problem: blocking.message, ...(blocking.fix && { fix: blocking.fix }) },
      },
    );
  }
}

/** labhub's images and disks a lab's machines use, by the names the images check reports. */
function imagesOf(lab: Pick<NormalizedLab, 'machines'>): Set<string> {
  const images = new Set<string>();
  for (const machine of lab.machines) {
    if (machine.type === 'container') images.add(machine.image.replace(/^localhost\//, '').replace(/:latest$/, ''));
    else {
      images.add('labhub/vm-launcher');
      if (machine.disk.source === 'image') images.add(machine.disk.image);
    }
  }
  return images;
}
