import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { FastifyBaseLogger } from 'fastify';
import { containerName, labelKeys, networkName } from '../../naming.js';
import {
  RuntimeError,
  type InstancePlan,
  type MachineObservation,
  type MachineState,
  type PowerState,
  type TerminalChannel,
  type VmMachinePlan,
} from '../../runtime.js';
import type { ImageBuilder } from '../images.js';
import { connectInNamespace } from '../port-relay.js';
import { probeAccel } from './accel.js';
import { VmDisks, type BaseDisk } from './disks.js';
import { accelWords, bootTimeoutSeconds, launcherImage, launcherSpec, vmChannels, type Accel } from './launcher.js';
import { lastLauncherError, logLineCount, waitForBoot } from './launcher-log.js';
import { QmpClient } from './qmp.js';
import { writeSeed } from './seed.js';

/** What the local runtime lends its VM half: per-machine directories and the observation stream. */
export interface VmLauncherHost {
  machineDir(instanceId: string, machine: string): string;
  /** Writes the machine's generated /etc/hosts and returns its path. */
  hostsFile(instanceId: string, machine: string): string;
  emit(observation: MachineObservation): void;
  log?: FastifyBaseLogger;
}

/** What setPower needs to know of a launcher (from a listing or an inspect). */
export type LauncherState = Pick<Docker.ContainerInfo, 'Id' | 'State' | 'Labels'>;

/** A guest that does not power off within this long after the ACPI power button is quit. */
const powerdownGraceMs = 30_000;
/** How long list() waits for a VM's QMP. */
const statusTimeoutMs = 3000;

/**
 * VM machines of the local runtime: one launcher container each (see launcher.ts), a qcow2
 * overlay on the base disk, QMP for power and status, the serial console as the terminal,
 * QEMU's VNC server as the screen. Every channel is reached inside the launcher's network
 * namespace (docs/decisions/0009-local-vm-channels.md).
 */
export class VmLaunchers {
  private readonly disks: VmDisks;
  private accelProbe: Promise<Accel> | undefined;
  private accel: Accel | undefined;
  private unusable: string | undefined;
  /** Launchers whose VM is powering off: their QMP is taken until it has. */
  private readonly poweringOff = new Set<string>();

  constructor(
    private readonly docker: () => Promise<Docker>,
    private readonly images: ImageBuilder,
    dataDir: string,
    private readonly host: VmLauncherHost,
  ) {
    this.disks = new VmDisks(dataDir);
  }

  /** Whether VMs can run here, as far as known without starting anything. */
  get available(): boolean {
    return this.unusable === undefined && existsSync('/dev/net/tun');
  }

  /** How VMs run here, in words for progress and status ("TCG, no KVM"). */
  get accelWords(): string {
    return accelWords(this.accel);
  }

  /** True with KVM, false under TCG, undefined until the first VM made labhub probe. */
  get kvm(): boolean | undefined {
    return this.accel === undefined ? undefined : this.accel === 'kvm';
  }

  /** Refuses disks this runtime cannot provide, before anything is created. */
  validate(machine: VmMachinePlan): void {
    if (!('image' in machine.disk)) {
      const kind = Object.keys(machine.disk)[0] ?? 'this';
      throw new RuntimeError('unsupported', `Machine "${machine.name}" uses a ${kind} disk, which exists only in the Kubernetes runtime; locally a VM's disk is { image: NAME } from the data dir's images/.`, { machine: machine.name });
    }
  }

  /** The launcher image and the machine's base disk, built on first use; then the (once per runtime) KVM probe. */
  async prepare(machine: VmMachinePlan, onProgress: (message: string) => void): Promise<BaseDisk> {
    this.validate(machine);
    if (!existsSync('/dev/net/tun')) throw new RuntimeError('unsupported', `Machine "${machine.name}" is a VM, but this host has no /dev/net/tun for its network.`, { machine: machine.name });
    await this.images.ensureCurrent(launcherImage, onProgress, machine.name);
    const base = await this.images.ensureDisk((machine.disk as { image: string }).image, onProgress, machine.name);
    await this.acceleration(onProgress, machine.name);
    return base;
  }

  /** Creates the launcher of `machine` (its overlay too, when missing). Returns the overlay when it was made now. */
  async create(docker: Docker, plan: InstancePlan, machine: VmMachinePlan, base: BaseDisk): Promise<string | undefined> {
    const dir = this.host.machineDir(plan.instanceId, machine.name);
    const overlay = path.join(dir, 'disk.qcow2');
    const fresh = await this.disks.ensureOverlay(overlay, base, machine.name, machine.resources.diskBytes);
    const seedDir = path.join(dir, 'seed');
    if (machine.cloudInit) writeSeed(seedDir, plan.instanceId, machine.name, machine.cloudInit.userData);
    else rmSync(seedDir, { recursive: true, force: true });
    const accel = await this.acceleration(() => {}, machine.name);
    const files = { hostsFile: this.host.hostsFile(plan.instanceId, machine.name), overlay, imagesDir: this.disks.imagesDir, ...(machine.cloudInit && { seedDir }) };
    try {
      await docker.createContainer(launcherSpec(plan, machine, base, files, accel));
    } catch (error) {
      if (fresh) this.disks.dropOverlay(overlay);
      throw error;
    }
    return fresh ? overlay : undefined;
  }

  /**
   * Starts a stopped launcher and waits until its guest has booted (its serial console shows a
   * prompt: the launcher says so). Rejects with the launcher's own words when the VM does not
   * boot or QEMU fails.
   */
  async start(docker: Docker, instanceId: string, machine: string): Promise<void> {
    const name = containerName(instanceId, machine);
    this.disks.checkOverlay(path.join(this.host.machineDir(instanceId, machine), 'disk.qcow2'), machine);
    // A restarted container keeps the output of its earlier runs: only what follows counts.
    const skip = await logLineCount(docker, name);
    await docker.getContainer(name).start();
    const seconds = await waitForBoot(docker, name, machine, skip, (bootTimeoutSeconds + 30) * 1000);
    this.host.log?.info({ instance: instanceId, machine, seconds, accel: this.accel }, 'VM booted');
    this.host.emit({ instanceId, machine, state: 'running', message: this.runningWords() });
  }

  /** Moves a VM to `to`: QMP `stop`/`cont` for pause and resume, the ACPI power button (then `quit`) for stop. */
  async setPower(docker: Docker, info: LauncherState, to: PowerState): Promise<void> {
    const instanceId = info.Labels[labelKeys.instance] ?? '';
    const machine = info.Labels[labelKeys.machine] ?? '';
    const container = docker.getContainer(info.Id);
    if (info.State === 'paused') await container.unpause();
    const running = info.State === 'running' || info.State === 'paused';
    if (to === 'running') {
      if (!running) return this.start(docker, instanceId, machine);
      const resumed = await this.withQmp(docker, info.Id, async (qmp) => {
        if ((await qmp.execute<{ status: string }>('query-status')).status !== 'paused') return false;
        await qmp.execute('cont');
        return true;
      });
      if (resumed) this.host.emit({ instanceId, machine, state: 'running', message: this.runningWords() });
      return;
    }
    if (to === 'paused') {
      if (!running) throw new RuntimeError('not_running', `Machine "${machine}" is ${info.State}; only a running machine can be paused.`, { machine });
      await this.withQmp(docker, info.Id, (qmp) => qmp.execute('stop'));
      this.host.emit({ instanceId, machine, state: 'paused', message: 'paused (QEMU stopped the virtual CPUs)' });
      return;
    }
    if (!running) return;
    this.poweringOff.add(info.Id);
    try {
      await this.powerOff(docker, info.Id, machine);
    } finally {
      this.poweringOff.delete(info.Id);
    }
  }

  /**
   * The ACPI power button, so the guest syncs its disk and powers off (QMP event SHUTDOWN, then
   * QEMU exits and so does the launcher); QMP `quit` when it does not within the grace period;
   * the engine's stop when even that fails.
   */
  private async powerOff(docker: Docker, id: string, machine: string): Promise<void> {
    const outcome = await this.withQmp(docker, id, async (qmp) => {
      const status = await qmp.execute<{ status: string }>('query-status');
      if (status.status === 'paused') await qmp.execute('cont');
      const off = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), powerdownGraceMs);
        qmp.onEvent((event) => event.event === 'SHUTDOWN' && (clearTimeout(timer), resolve(true)));
        void qmp.closed.then(() => (clearTimeout(timer), resolve(true)));
      });
      await qmp.execute('system_powerdown');
      if (await off) return 'powered off';
      this.host.log?.warn({ machine }, `VM did not power off within ${powerdownGraceMs / 1000} s; quitting QEMU`);
      await qmp.execute('quit').catch(() => {});
      return 'quit';
    }).catch((error: unknown) => {
      this.host.log?.warn({ err: error, machine }, 'VM power button failed; stopping its launcher');
      return 'failed';
    });
    if (outcome !== 'failed' && (await exits(docker, id, 10_000))) return;
    await docker
      .getContainer(id)
      .stop({ t: 5 })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error;
      });
  }

  /** Drops the machine's overlay: its next start begins again from the base image. */
  dropDisk(instanceId: string, machine: string): void {
    this.disks.dropOverlay(path.join(this.host.machineDir(instanceId, machine), 'disk.qcow2'));
  }

  /** The VM's state as list() reports it: the launcher's, refined by QEMU's own status while it runs. */
  async observedState(docker: Docker, info: Docker.ContainerInfo, engineState: MachineState): Promise<{ state: MachineState; message?: string }> {
    if (info.State === 'running') {
      if (this.poweringOff.has(info.Id)) return { state: 'running', message: 'powering off' };
      try {
        const { status } = await this.withQmp(docker, info.Id, (qmp) => qmp.execute<{ status: string }>('query-status', undefined, statusTimeoutMs), statusTimeoutMs);
        return qemuState(status, this.runningWords());
      } catch (error) {
        // Refused: no QMP yet (the launcher is still wiring the network, or QEMU is starting). Silent: someone else holds QMP.
        if (error instanceof RuntimeError) return { state: 'starting', message: `starting (${this.accelWords})` };
        return { state: 'running', message: `${this.runningWords()}; QEMU is busy` };
      }
    }
    if (info.State === 'exited') {
      const inspected = await docker
        .getContainer(info.Id)
        .inspect()
        .catch(() => undefined);
      const code = inspected?.State.ExitCode ?? 0;
      if (code !== 0 && code !== 137 && code !== 143) {
        const why = await lastLauncherError(docker, info.Id);
        return { state: 'failed', message: why ?? `the launcher exited with code ${code}` };
      }
    }
    return { state: engineState };
  }

  /** An engine event of a launcher, in VM words: a started launcher is booting; a failed one says why. */
  async observation(docker: Docker, base: MachineObservation, action: string, containerName: string): Promise<MachineObservation> {
    if (action === 'start') return { ...base, state: 'starting', message: `booting (${this.accelWords})` };
    if (base.state === 'failed') return { ...base, message: (await lastLauncherError(docker, containerName)) ?? base.message ?? 'the VM failed' };
    return base;
  }

  /** The serial console. Resizing is a no-op: a serial line has no window size (see docs/decisions/0009-local-vm-channels.md). */
  async openTerminal(pid: number): Promise<TerminalChannel> {
    const stream = await connectInNamespace(pid, vmChannels.serial);
    // The shell only prints its prompt when asked: a carriage return shows it at once.
    stream.write('\r');
    return { stream, resize: async () => {} };
  }

  openVnc(pid: number): Promise<Duplex> {
    return connectInNamespace(pid, vmChannels.vnc);
  }

  /** TCP to the VM's address (the launcher's own on the instance network) from inside the launcher, over its bridge. */
  openPort(info: Docker.ContainerInspectInfo, instanceId: string, machine: string, port: number): Promise<Duplex> {
    const address = info.NetworkSettings.Networks[networkName(instanceId)]?.IPAddress;
    if (!address) throw new RuntimeError('not_running', `Machine "${machine}" has no address on the instance network.`, { machine });
    return connectInNamespace(info.State.Pid, { tcp: { host: address, port } });
  }

  /** Runs `use` on a short QMP connection to the VM of container `id` (QEMU serves one QMP client at a time). */
  private async withQmp<T>(docker: Docker, id: string, use: (qmp: QmpClient) => Promise<T>, timeoutMs = 5000): Promise<T> {
    const info = await docker.getContainer(id).inspect();
    if (!info.State.Running) throw new RuntimeError('not_running', `The launcher ${info.Name} is not running.`);
    const qmp = await QmpClient.connect(await connectInNamespace(info.State.Pid, vmChannels.qmp), timeoutMs);
    try {
      return await use(qmp);
    } finally {
      qmp.close();
    }
  }

  private runningWords(): string {
    return `running (${this.accelWords})`;
  }

  /** The KVM probe, once per runtime; logs and remembers the outcome. Its kernel is tiny's (built when missing). */
  private acceleration(onProgress: (message: string) => void, machine: string): Promise<Accel> {
    this.accelProbe ??= (async () => {
      const kernel = existsSync('/dev/kvm') ? (await this.images.ensureDisk('tiny', onProgress, machine)).kernel : undefined;
      onProgress('checking whether VMs can use KVM');
      try {
        const probe = await probeAccel(await this.docker(), kernel);
        this.accel = probe.accel;
        this.unusable = undefined;
        this.host.log?.info({ accel: probe.accel, reason: probe.reason }, `VMs run with ${probe.accel === 'kvm' ? 'KVM' : 'TCG (no KVM)'}: ${probe.reason}`);
        return probe.accel;
      } catch (error) {
        this.unusable = (error as Error).message;
        this.host.log?.error({ err: error }, 'VMs cannot run here');
        throw new RuntimeError('failed', `VMs cannot run here: ${this.unusable}`, { machine, cause: error });
      }
    })().catch((error: unknown) => {
      this.accelProbe = undefined;
      throw error;
    });
    return this.accelProbe;
  }
}

/** QEMU's run state (query-status) as a machine state. */
function qemuState(status: string, runningWords: string): { state: MachineState; message?: string } {
  switch (status) {
    case 'running':
      return { state: 'running', message: runningWords };
    case 'paused':
    case 'suspended':
      return { state: 'paused', message: status === 'suspended' ? 'suspended by the guest' : 'paused (QEMU stopped the virtual CPUs)' };
    case 'prelaunch':
    case 'inmigrate':
      return { state: 'starting' };
    case 'shutdown':
      return { state: 'stopped', message: 'the guest powered off' };
    default:
      return { state: 'failed', message: `QEMU reports "${status}"` };
  }
}

/** Whether container `id` stops running within `withinMs`. */
async function exits(docker: Docker, id: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const info = await docker.getContainer(id).inspect();
    if (!info.State.Running) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
