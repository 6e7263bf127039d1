import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { FastifyBaseLogger } from 'fastify';
import { bridgeName, containerName, instanceLabels, labelKeys, machineLabels, networkName } from '../naming.js';
import {
  RuntimeError,
  type ContainerMachinePlan,
  type ExecOptions,
  type ExecResult,
  type InstanceId,
  type InstancePlan,
  type MachineObservation,
  type MachineRef,
  type MachineState,
  type ObservedInstance,
  type PowerState,
  type ProgressListener,
  type Runtime,
  type RuntimeCapabilities,
  type TermSize,
  type TerminalChannel,
} from '../runtime.js';
import { ExecOutputCollector } from './demux.js';
import { connectEngine, containerUlimits } from './engine.js';
import { killProcessTree } from './process-tree.js';
import { HostFirewall } from './host-firewall.js';
import { ImageBuilder } from './images.js';
import { bridgeNameOption, guardedNetwork, guardedNetworks } from './instance-networks.js';
import { connectInNamespace } from './port-relay.js';
import type { BaseDisk } from './vm/disks.js';
import { isLauncherImage } from './vm/launcher.js';
import { VmLaunchers } from './vm/vm-launchers.js';
import { ObservationQueue, settleAll, validatePlan, waitForOutput } from '../runtime-support.js';

export interface LocalRuntimeOptions {
  /** The Docker-compatible API socket (Podman or Docker). */
  engineSocket: string;
  /** Per-instance files (hosts files, VM overlays) live under `<dataDir>/instances/`. */
  dataDir: string;
  /** Start `podman system service` when nothing answers on the socket (default true). */
  startEngine?: boolean;
  log?: FastifyBaseLogger;
}

/** A machine that exits within this long of starting is reported as failing to start. */
const settleMs = 300;

/**
 * The local runtime (docs/architecture.md §3): one engine network per instance, one container per
 * container machine and one launcher container per VM machine (QEMU inside: vm/), talking
 * the Docker Engine API so Podman and Docker both work.
 */
/** How long a container's shell may take to print its first output, and how many sessions are tried. */
const terminalStartMs = 15_000;
const terminalAttempts = 3;

export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private engine: Promise<Docker> | undefined;
  private readonly images: ImageBuilder;
  private readonly vms: VmLaunchers;
  /** Keeps machines (VMs through their launchers) away from the host: docs/decisions/0017-local-egress-firewall.md. */
  private readonly firewall: HostFirewall;
  /** Observations that do not come from the engine's events (QMP pause/resume, a VM that booted). */
  private readonly observers = new Set<(observation: MachineObservation) => void>();

  constructor(private readonly options: LocalRuntimeOptions) {
    this.firewall = new HostFirewall(options.engineSocket, options.log);
    this.images = new ImageBuilder(() => this.docker(), options.dataDir, options.log);
    this.vms = new VmLaunchers(() => this.docker(), this.images, options.dataDir, {
      machineDir: (id, machine) => this.machineDir(id, machine),
      hostsFile: (id, machine) => this.hostsFile(id, machine),
      emit: (observation) => this.observers.forEach((observer) => observer(observation)),
      ...(options.log && { log: options.log }),
    });
  }

  /** `vm`: VMs can run here (QEMU in labhub/vm-launcher); `kvm`: known after the first VM start (a probe); `vmExec`: labhub's VM disks have no guest agent. */
  capabilities(): RuntimeCapabilities {
    const kvm = this.vms.kvm;
    return { vm: this.vms.available, pause: true, snapshot: false, vmExec: false, ...(kvm !== undefined && { kvm }) };
  }

  async apply(plan: InstancePlan, onProgress: ProgressListener = () => {}): Promise<void> {
    const docker = await this.docker();
    const created: CreatedObjects = { containers: [], network: false, overlays: [] };
    try {
      validatePlan(plan);
      for (const machine of plan.machines) if (machine.type === 'vm') this.vms.validate(machine);
      const bases = new Map<string, BaseDisk>();
      for (const machine of plan.machines) {
        const progress = (message: string) => onProgress({ machine: machine.name, step: 'image', message });
        if (machine.type === 'vm') bases.set(machine.name, await this.vms.prepare(machine, progress));
        else await this.images.ensure(machine.image, progress, machine.name);
      }
      onProgress({ step: 'network', message: 'creating the private network' });
      await this.firewall.ready();
      created.network = await this.ensureNetwork(docker, plan);
      // Every apply re-asserts the rules: a network made by an older labhub, or rules someone flushed.
      await this.firewall.guard(await guardedNetwork(docker, networkName(plan.instanceId)));
      const started: string[] = [];
      const booting: Promise<void>[] = [];
      for (const machine of plan.machines) {
        const name = containerName(plan.instanceId, machine.name);
        const existing = await inspectContainer(docker, name);
        if (existing && existing.Config.Labels?.[labelKeys.instance] !== plan.instanceId) {
          throw new RuntimeError('conflict', `A container named "${name}" already exists and does not belong to this instance.`, { machine: machine.name });
        }
        if (!existing) {
          onProgress({ machine: machine.name, step: 'create', message: `creating ${machine.name}` });
          if (machine.type === 'vm') {
            const overlay = await this.vms.create(docker, plan, machine, bases.get(machine.name) as BaseDisk);
            if (overlay) created.overlays.push(overlay);
          } else {
            await docker.createContainer(this.containerSpec(plan, machine));
          }
          created.containers.push(name);
        }
        if (machine.type === 'vm') {
          if (existing?.State.Running) {
            // Running already: at most paused (by QMP or the engine); apply means "running".
            await this.vms.setPower(docker, { Id: existing.Id, State: existing.State.Status, Labels: existing.Config.Labels ?? {} }, 'running');
          } else {
            onProgress({ machine: machine.name, step: 'start', message: `booting ${machine.name} (${this.vms.accelWords})` });
            const boot = this.vms.start(docker, plan.instanceId, machine.name);
            // Settled below, or abandoned when a later machine fails (its launcher is then removed).
            boot.catch(() => {});
            booting.push(boot);
          }
        } else if (existing?.State.Paused) {
          // A paused container counts as running to the engine (State.Running is true): it must be thawed, not skipped.
          onProgress({ machine: machine.name, step: 'start', message: `resuming ${machine.name}` });
          await docker.getContainer(name).unpause();
        } else if (!existing?.State.Running) {
          onProgress({ machine: machine.name, step: 'start', message: `starting ${machine.name}` });
          await docker.getContainer(name).start();
          started.push(name);
        }
      }
      await settleAll([...(started.length > 0 ? [this.assertStayedUp(docker, started)] : []), ...booting]);
      onProgress({ step: 'ready', message: 'all machines are running' });
    } catch (error) {
      await this.removeCreated(docker, plan.instanceId, created);
      throw asRuntimeError(error);
    }
  }

  async setPower(id: InstanceId, to: PowerState): Promise<void> {
    const docker = await this.docker();
    const machines = await this.containersOf(docker, id);
    // VMs take seconds to boot or power off: all machines move at once.
    await settleAll(
      machines.map(async (info) => {
        if (isLauncherImage(info.Image)) return this.vms.setPower(docker, info, to);
        const container = docker.getContainer(info.Id);
        const state = info.State;
        if (to === 'running') {
          if (state === 'paused') await container.unpause();
          else if (state !== 'running') await container.start();
        } else if (to === 'stopped') {
          if (state === 'paused') await container.unpause();
          if (state === 'running' || state === 'paused') await ignoreStatus(container.stop({ t: 10 }), 304);
        } else if (state === 'running') {
          await container.pause();
        } else if (state !== 'paused') {
          throw new RuntimeError('not_running', `Machine "${info.Labels[labelKeys.machine]}" is ${state}; only a running machine can be paused.`);
        }
      }),
    );
  }

  async reset(id: InstanceId, plan: InstancePlan, machine?: string): Promise<void> {
    const docker = await this.docker();
    const targets = (await this.containersOf(docker, id)).filter((info) => !machine || info.Labels[labelKeys.machine] === machine);
    if (machine && targets.length === 0 && !plan.machines.some((m) => m.name === machine)) {
      throw new RuntimeError('not_found', `There is no machine "${machine}" in this instance.`);
    }
    for (const info of targets) await ignoreStatus(docker.getContainer(info.Id).remove({ force: true, v: true }), 404);
    // A VM's writes live in its overlay: dropping it is what puts the machine back to its base image.
    for (const vm of plan.machines) if (vm.type === 'vm' && (!machine || vm.name === machine)) this.vms.dropDisk(id, vm.name);
    await this.apply(plan);
  }

  async destroy(id: InstanceId): Promise<void> {
    const docker = await this.docker();
    for (const info of await this.containersOf(docker, id)) await ignoreStatus(docker.getContainer(info.Id).remove({ force: true, v: true }), 404);
    const networks = await docker.listNetworks({ filters: { label: [`${labelKeys.instance}=${id}`] } });
    for (const network of networks) await ignoreStatus(docker.getNetwork(network.Id).remove(), 404);
    await this.firewall.unguard(id);
    const volumes = await docker.listVolumes({ filters: { label: [`${labelKeys.instance}=${id}`] } });
    for (const volume of volumes.Volumes ?? []) await ignoreStatus(docker.getVolume(volume.Name).remove(), 404);
    rmSync(this.instanceDir(id), { recursive: true, force: true });
  }

  async *observe(signal: AbortSignal): AsyncIterable<MachineObservation> {
    // One queue for both sources: the engine's events and the runtime's own (QMP-driven) observations.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const queue = new ObservationQueue(stop.signal);
    const observer = (observation: MachineObservation) => queue.push(observation);
    this.observers.add(observer);
    void this.followEngineEvents(stop.signal, (observation) => queue.push(observation));
    try {
      yield* queue;
    } finally {
      this.observers.delete(observer);
      signal.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /** The engine's event stream as observations, reconnecting with backoff, until `signal` aborts. */
  private async followEngineEvents(signal: AbortSignal, push: (observation: MachineObservation) => void): Promise<void> {
    let backoff = 500;
    while (!signal.aborted) {
      try {
        const docker = await this.docker();
        const events = (await docker.getEvents({})) as unknown as NodeJS.ReadableStream & { destroy(): void };
        const onAbort = () => events.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        backoff = 500;
        try {
          let buffered = '';
          for await (const chunk of events) {
            buffered += chunk.toString();
            let newline: number;
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline);
              buffered = buffered.slice(newline + 1);
              if (!line.trim()) continue;
              const event = JSON.parse(line) as EngineEvent;
              const observation = toObservation(event);
              if (!observation) continue;
              const attributes = event.Actor?.Attributes ?? {};
              push(isLauncherImage(attributes.image) ? await this.vms.observation(docker, observation, engineAction(event), attributes.name ?? '') : observation);
            }
          }
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.log?.warn({ err: error }, 'engine event stream failed; reconnecting');
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  /** Also re-asserts the host firewall of every instance network and drops rules whose network is gone (the reconciler calls it at start and on its timer). */
  async list(): Promise<ObservedInstance[]> {
    const docker = await this.docker();
    const chainsBefore = await this.firewall.chainsNow().catch(() => new Set<string>());
    const byId = new Map<string, ObservedInstance>();
    const entry = (labels: Record<string, string> = {}) => {
      const id = labels[labelKeys.instance] ?? '';
      let instance = byId.get(id);
      if (!instance) byId.set(id, (instance = { instanceId: id, installation: labels[labelKeys.installation] ?? '', owner: labels[labelKeys.owner] ?? '', machines: [] }));
      return instance;
    };
    const containers = await docker.listContainers({ all: true, filters: { label: [labelKeys.instance] } });
    // A VM's state needs a word from its QEMU: asked for all VMs at once.
    const machines = await Promise.all(
      containers.map(async (info) => ({
        info,
        observed: isLauncherImage(info.Image) ? await this.vms.observedState(docker, info, stateOf(info.State)) : { state: stateOf(info.State) },
      })),
    );
    for (const { info, observed } of machines) {
      const instance = entry(info.Labels);
      instance.machines.push({ name: info.Labels[labelKeys.machine] ?? info.Names[0] ?? info.Id, ...observed });
    }
    const networks = await docker.listNetworks({ filters: { label: [labelKeys.instance] } });
    for (const network of networks) entry(network.Labels);
    await guardedNetworks(docker, networks)
      .then((guarded) => this.firewall.sync(guarded, chainsBefore))
      .catch((error: unknown) => this.options.log?.warn({ err: error }, 'the host firewall could not be re-asserted'));
    return [...byId.values()].filter((instance) => instance.instanceId);
  }

  async openTerminal(ref: MachineRef, size: TermSize): Promise<TerminalChannel> {
    const docker = await this.docker();
    const info = await this.runningContainer(docker, ref);
    if (isLauncherImage(info.Config.Image)) return this.vms.openTerminal(info.State.Pid);
    // A shell prints its prompt at once. Under load, an engine exec session right after a
    // container started has been seen to stay silent (or end) without one: such a session is
    // dropped and opened again, so that nobody gets a terminal that never answers.
    for (let attempt = 1; ; attempt++) {
      const channel = await this.openShell(docker, ref, size);
      if (await waitForOutput(channel.stream, terminalStartMs)) return channel;
      channel.stream.destroy();
      if (attempt === terminalAttempts) throw new RuntimeError('failed', `The terminal of "${ref.machine}" did not start: its shell printed nothing within ${terminalStartMs / 1000} s, ${terminalAttempts} times.`, { machine: ref.machine });
      this.options.log?.warn({ instance: ref.instanceId, machine: ref.machine, attempt }, 'terminal session printed nothing; opening another');
    }
  }

  /** An engine exec session running the machine's login shell on a PTY of `size`. */
  private async openShell(docker: Docker, ref: MachineRef, size: TermSize): Promise<TerminalChannel> {
    const exec = await docker.getContainer(containerName(ref.instanceId, ref.machine)).exec({
      Cmd: ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'],
      Env: ['TERM=xterm-256color', 'COLORTERM=truecolor'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    let latest = size;
    const applySize = async ({ cols, rows }: TermSize) => {
      // Podman answers a successful resize with 201, which dockerode reports as an error (docs/environment.md).
      await exec.resize({ w: cols, h: rows }).catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 201 && error.statusCode !== 200) throw error;
      });
    };
    const resize = (next: TermSize) => {
      latest = next;
      return applySize(next);
    };
    // A resize sent before the exec's process runs is dropped by Podman: wait for it to run first.
    for (let attempt = 0; attempt < 50 && !(await exec.inspect()).Running; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    await resize(size).catch(() => {});
    // Even then, on a busy engine a resize of the first moments can be lost (seen with Podman 4.3 under load, 1 in 10):
    // the latest size is sent again shortly after. Resending an unchanged size changes nothing in the PTY.
    for (const delayMs of [300, 1500]) setTimeout(() => void applySize(latest).catch(() => {}), delayMs).unref();
    return { stream, resize };
  }

  async openVnc(ref: MachineRef): Promise<Duplex> {
    const docker = await this.docker();
    const info = await this.runningContainer(docker, ref);
    if (isLauncherImage(info.Config.Image)) return this.vms.openVnc(info.State.Pid);
    const port = Number(info.Config.Labels?.[labelKeys.vncPort]);
    if (!port) throw new RuntimeError('unsupported', `Machine "${ref.machine}" has no desktop.`);
    return connectInNamespace(info.State.Pid, { tcp: { host: '127.0.0.1', port } });
  }

  async openPort(ref: MachineRef, port: number): Promise<Duplex> {
    const docker = await this.docker();
    const info = await this.runningContainer(docker, ref);
    if (isLauncherImage(info.Config.Image)) return this.vms.openPort(info, ref.instanceId, ref.machine, port);
    return connectInNamespace(info.State.Pid, { tcp: { host: '127.0.0.1', port } });
  }

  /** Containers: an engine exec. VMs: unsupported — labhub's VM disks have no guest agent (docs/decisions/0009-local-vm-channels.md). */
  async exec(ref: MachineRef, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const docker = await this.docker();
    const info = await this.runningContainer(docker, ref);
    if (isLauncherImage(info.Config.Image)) {
      throw new RuntimeError('unsupported', `Machine "${ref.machine}" is a VM without a guest agent: labhub cannot run commands in it. Use its terminal (the serial console).`, { machine: ref.machine });
    }
    const exec = await docker.getContainer(containerName(ref.instanceId, ref.machine)).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    const collector = new ExecOutputCollector(options.maxOutputBytes ?? 64 * 1024);
    const timedOut = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => resolve(true), options.timeoutMs ?? 30_000);
      stream.on('data', (chunk: Buffer) => collector.push(chunk));
      stream.on('end', () => (clearTimeout(timer), resolve(false)));
      stream.on('error', (error) => (clearTimeout(timer), reject(error)));
    });
    if (timedOut) {
      stream.destroy();
      const { Pid } = (await exec.inspect()) as { Pid?: number };
      if (Pid) killProcessTree(Pid);
      return { exitCode: 124, output: collector.text(), timedOut: true };
    }
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? -1, output: collector.text(), timedOut: false };
  }

  async close(): Promise<void> {
    this.engine = undefined;
  }

  private docker(): Promise<Docker> {
    this.engine ??= connectEngine(this.options.engineSocket, { start: this.options.startEngine ?? true, ...(this.options.log && { log: this.options.log }) }).catch((error: unknown) => {
      this.engine = undefined;
      throw error;
    });
    return this.engine;
  }

  private instanceDir(id: InstanceId): string {
    return path.join(this.options.dataDir, 'instances', id);
  }

  /** Creates the instance network unless it exists; true when it was created now. */
  private async ensureNetwork(docker: Docker, plan: InstancePlan): Promise<boolean> {
    const name = networkName(plan.instanceId);
    const existing = await docker.getNetwork(name).inspect().catch(notFoundAsUndefined);
    if (existing) {
      if ((existing as { Labels?: Record<string, string> }).Labels?.[labelKeys.instance] !== plan.instanceId) {
        throw new RuntimeError('conflict', `A network named "${name}" already exists and does not belong to this instance.`);
      }
      return false;
    }
    await docker.createNetwork({
      Name: name,
      // egress: deny is an internal network: no route out, only the instance's own machines.
      Internal: plan.network.egress === 'deny',
      Labels: instanceLabels(plan),
      // netavark keeps networks apart only when asked; Docker always does. A bridge named after
      // the instance: the host firewall's rules are keyed on it (read back from the engine).
      Options: { isolate: 'true', [bridgeNameOption]: bridgeName(plan.instanceId) },
    });
    return true;
  }

  private containerSpec(plan: InstancePlan, machine: ContainerMachinePlan): Docker.ContainerCreateOptions {
    const network = networkName(plan.instanceId);
    return {
      name: containerName(plan.instanceId, machine.name),
      Image: machine.image,
      Hostname: machine.name,
      Labels: {
        ...machineLabels(plan, machine.name),
        ...(machine.vncPort !== null && { [labelKeys.vncPort]: String(machine.vncPort) }),
      },
      Env: Object.entries(machine.env).map(([key, value]) => `${key}=${value}`),
      HostConfig: {
        NetworkMode: network,
        NanoCpus: machine.resources.cpuMillis * 1_000_000,
        Memory: machine.resources.memoryBytes,
        MemorySwap: machine.resources.memoryBytes,
        PidsLimit: 2048,
        Ulimits: containerUlimits(),
        // Podman drops NET_RAW by default; learners expect ping to work.
        CapAdd: ['NET_RAW'],
        // Podman copies the host's /etc/hosts (which can map machine names like "vm" to 127.0.0.1); peers resolve by DNS instead.
        Binds: [`${this.hostsFile(plan.instanceId, machine.name)}:/etc/hosts:ro`],
        RestartPolicy: { Name: 'no' },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [machine.name] } } },
    };
  }

  /** `<dataDir>/instances/<id>/<machine>/`: the machine's hosts file, and a VM's overlay and cloud-init seed. */
  private machineDir(id: InstanceId, machine: string): string {
    const dir = path.join(this.instanceDir(id), machine);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private hostsFile(id: InstanceId, machine: string): string {
    const file = path.join(this.machineDir(id, machine), 'hosts');
    writeFileSync(file, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    return file;
  }

  private async assertStayedUp(docker: Docker, names: string[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    for (const name of names) {
      const info = await inspectContainer(docker, name);
      if (info?.State.Running) continue;
      const machine = info?.Config.Labels?.[labelKeys.machine] ?? name;
      const logs = info ? await lastLogLines(docker, name) : '';
      throw new RuntimeError('failed', `Machine "${machine}" stopped right after starting (exit code ${info?.State.ExitCode ?? 'unknown'})${logs ? `: ${logs}` : ''}.`, { machine });
    }
  }

  private async removeCreated(docker: Docker, id: InstanceId, created: CreatedObjects): Promise<void> {
    for (const name of created.containers) await docker.getContainer(name).remove({ force: true, v: true }).catch(() => {});
    for (const overlay of created.overlays) rmSync(overlay, { force: true }), rmSync(`${overlay}.base`, { force: true });
    if (created.network) {
      await docker.getNetwork(networkName(id)).remove().catch(() => {});
      await this.firewall.unguard(id).catch((error: unknown) => this.options.log?.warn({ err: error, instance: id }, 'removing firewall rules failed'));
      rmSync(this.instanceDir(id), { recursive: true, force: true });
    }
  }

  private async containersOf(docker: Docker, id: InstanceId): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`${labelKeys.instance}=${id}`] } });
  }

  private async runningContainer(docker: Docker, ref: MachineRef): Promise<Docker.ContainerInspectInfo> {
    const info = await inspectContainer(docker, containerName(ref.instanceId, ref.machine));
    if (!info || info.Config.Labels?.[labelKeys.instance] !== ref.instanceId) throw new RuntimeError('not_found', `There is no machine "${ref.machine}" in this instance.`);
    if (info.State.Paused) throw new RuntimeError('not_running', `Machine "${ref.machine}" is paused.`);
    if (!info.State.Running) throw new RuntimeError('not_running', `Machine "${ref.machine}" is not running.`);
    return info;
  }
}

/** What one apply made, so a failed apply removes exactly that. */
interface CreatedObjects {
  containers: string[];
  network: boolean;
  /** VM overlays made by this apply (for machines that existed, or of an instance that stays). */
  overlays: string[];
}

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  /** Docker and Podman name the container's image and name here too. */
  Actor?: { Attributes?: Record<string, string> & { image?: string; name?: string } };
}

function toObservation(event: EngineEvent): MachineObservation | undefined {
  const attributes = event.Actor?.Attributes ?? {};
  const instanceId = attributes[labelKeys.instance];
  const machine = attributes[labelKeys.machine];
  if (event.Type !== 'container' || !instanceId || !machine) return undefined;
  const action = engineAction(event);
  const byAction: Record<string, MachineObservation['state'] | undefined> = {
    create: 'pending',
    start: 'running',
    unpause: 'running',
    pause: 'paused',
    stop: 'stopped',
    die: 'stopped',
    remove: 'removed',
    destroy: 'removed',
  };
  const state = byAction[action];
  if (!state) return undefined;
  // Docker says exitCode, Podman containerExitCode.
  const exitCode = attributes.exitCode ?? attributes.containerExitCode;
  if (action === 'die' && exitCode && exitCode !== '0' && exitCode !== '143' && exitCode !== '137') {
    return { instanceId, machine, state: 'failed', message: `exited with code ${exitCode}` };
  }
  return { instanceId, machine, state };
}

/** The event's action without Podman's suffixes ("exec_died: …"). */
function engineAction(event: EngineEvent): string {
  return (event.Action ?? event.status ?? '').split(':')[0] ?? '';
}

function stateOf(engineState: string): MachineState {
  switch (engineState) {
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    case 'created':
    case 'configured':
      return 'pending';
    case 'restarting':
      return 'starting';
    case 'dead':
      return 'failed';
    default:
      return 'stopped';
  }
}

async function inspectContainer(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker.getContainer(name).inspect().catch(notFoundAsUndefined);
}

function notFoundAsUndefined(error: { statusCode?: number }): undefined {
  if (error.statusCode === 404) return undefined;
  throw error;
}

async function ignoreStatus<T>(promise: Promise<T>, status: number): Promise<T | undefined> {
  return promise.catch((error: { statusCode?: number }) => {
    if (error.statusCode === status) return undefined;
    throw error;
  });
}

async function lastLogLines(docker: Docker, name: string): Promise<string> {
  try {
    const raw = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: 5, follow: false })) as unknown as Buffer;
    const collector = new ExecOutputCollector(2000);
    collector.push(Buffer.from(raw));
    return collector.text().trim().split('\n').slice(-3).join(' / ');
  } catch {
    return '';
  }
}

function asRuntimeError(error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const engine = error as { statusCode?: number; json?: { message?: string }; message?: string };
  const message = engine.json?.message ?? engine.message ?? String(error);
  return new RuntimeError('failed', `The container engine refused: ${message}`, { cause: error });
}

