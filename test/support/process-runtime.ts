/**
 * A TEST DOUBLE, like test/kube-sim: the process runtime, a cheap real runtime for tests that need
 * "some runtime" (quotas, reconciler policy, the authorization matrix), in the spirit of
 * JupyterHub's MockSpawner family. Never part of labhub itself (it lives in test/, not src/).
 *
 * Each container machine is real processes on this host (docs/decisions/0028-process-runtime.md):
 * - an init process (`sleep infinity`) in a UTS and mount namespace of its own (unshare; needs
 *   root, as Podman does here), whose host name is the machine's name and whose /root is the
 *   machine's directory `<root>/<instance>/<machine>/home` bind-mounted: files written there
 *   survive stop/start, reset wipes them. The machine runs while its init lives;
 * - terminals (a login shell on a real PTY, node-pty) and exec (a plain child process) entered
 *   into those namespaces with nsenter, in /root, with the plan's env;
 * - the memory limit is the address-space limit (RLIMIT_AS) of every process of the machine;
 * - pause/resume is SIGSTOP/SIGCONT of every process of the machine, stop is SIGKILL of them all;
 * - every process carries labels in its environment (process-table.ts): list() and observe() read
 *   /proc, so what they report is what actually runs, also after the runtime that started it is
 *   gone (crash recovery, orphan collection);
 * - ports: the network is the host's. Each declared port (httpPorts, vncPort) gets a free port on
 *   127.0.0.1, told to the machine as `LABHUB_PORT_<declared>=<host port>`; openPort(m, declared)
 *   connects to it, openVnc to the vncPort's. An undeclared port is `not_found`.
 *
 * Not here: VMs (capabilities().vm is false, apply refuses them), names between machines and
 * network isolation between instances (the conformance suite skips those cases saying why), and
 * images (every machine is this host's shell, whatever its image says).
 *
 * Variants (`variant` option): `slow` takes `perMachineMs` per machine in apply, reporting it as
 * progress; `failing` makes apply fail with a RuntimeError when it reaches `atMachine`, after
 * creating the machines before it (which it then removes, as the contract says); `vanishing`
 * kills each machine's processes `afterMs` after it starts, which observe() and list() report
 * as a machine that failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import pty from 'node-pty';
import { ObservationQueue, OutputHead, validatePlan } from '../../src/server/runtime/runtime-support.js';
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
} from '../../src/server/runtime/runtime.js';
import { eventually } from './eventually.js';
import { machineProcesses, processLabels, signalAll, type MachineProcess } from './process-table.js';
import { freePort } from './free-port.js';

export type ProcessVariant =
  { kind: 'plain' } | { kind: 'slow'; perMachineMs: number } | { kind: 'failing'; atMachine: string } | { kind: 'vanishing'; afterMs: number };

export interface ProcessRuntimeOptions {
  /** Where the machines' directories live; a fresh temp dir when absent. Two runtimes on one root see the same machines. */
  root?: string;
  variant?: ProcessVariant;
}

/** What the runtime keeps of an instance (`<root>/<instance>/instance.json`): its labels. */
interface InstanceRecord {
  instanceId: string;
  installation: string;
  owner: string;
  lab: string;
}

/** What the runtime keeps of a machine (`<root>/<instance>/<machine>/machine.json`). */
interface MachineRecord {
  plan: ContainerMachinePlan;
  /** Declared port → host port on 127.0.0.1. */
  ports: Record<string, number>;
  /** What the machine should be doing: a machine that should run but has no init process failed. */
  power: PowerState;
}

/** How long stopping or pausing may take to show in /proc before it counts as a failure. */
const settleMs = 15_000;
const pollMs = 500;

/**
 * Roots this test process made: when it exits, their machines go with it, even after a failed
 * test skipped its cleanup (machines are detached processes that would otherwise outlive it).
 */
const ownRoots = new Set<string>();
process.once('exit', () => {
  for (const root of ownRoots) {
    signalAll(
      machineProcesses(root).map((p) => p.pid),
      'SIGKILL',
    );
    rmSync(root, { recursive: true, force: true });
  }
});

export class ProcessRuntime implements Runtime {
  /** It runs on this host, as the local runtime does; the contract knows no third name. */
  readonly name = 'local' as const;
  readonly root: string;
  private readonly variant: ProcessVariant;
  /** How the init processes this runtime started ended, for the observation's message. */
  private readonly exits = new Map<string, string>();
  private readonly vanishTimers = new Map<string, NodeJS.Timeout>();
  private readonly subscribers = new Set<(observation: MachineObservation) => void>();
  /** The last states pushed to observers, by `instance/machine`. */
  private known = new Map<string, { state: MachineObservation['state']; message?: string }>();
  private poller: NodeJS.Timeout | undefined;

  constructor(options: ProcessRuntimeOptions = {}) {
    if (process.getuid?.() !== 0) throw new Error('the process runtime needs root: each machine gets a UTS and mount namespace of its own (unshare)');
    this.root = options.root ?? mkdtempSync(path.join(tmpdir(), 'labhub-process-runtime-'));
    mkdirSync(this.root, { recursive: true });
    this.variant = options.variant ?? { kind: 'plain' };
    if (!options.root) ownRoots.add(this.root);
  }

  capabilities(): RuntimeCapabilities {
    return { vm: false, pause: true, snapshot: false };
  }

  async apply(plan: InstancePlan, onProgress: ProgressListener = () => {}): Promise<void> {
    validatePlan(plan);
    for (const machine of plan.machines) {
      if (machine.type === 'vm')
        throw new RuntimeError('unsupported', `Machine "${machine.name}" is a VM: the process runtime runs containers only.`, { machine: machine.name });
    }
    const instanceDir = this.instanceDir(plan.instanceId);
    const createdInstance = !existsSync(instanceDir);
    const created: string[] = [];
    try {
      mkdirSync(instanceDir, { recursive: true });
      const record: InstanceRecord = { instanceId: plan.instanceId, installation: plan.installation, owner: plan.owner, lab: plan.lab.name };
      writeFileSync(path.join(instanceDir, 'instance.json'), JSON.stringify(record));
      for (const machine of plan.machines) {
        if (machine.type !== 'container') continue;
        if (this.variant.kind === 'slow') {
          onProgress({ machine: machine.name, step: 'create', message: `creating ${machine.name} (slow: ${this.variant.perMachineMs} ms)` });
          await delay(this.variant.perMachineMs);
        }
        if (this.variant.kind === 'failing' && this.variant.atMachine === machine.name) {
          throw new RuntimeError('failed', `Machine "${machine.name}" failed to start: the failing process runtime refuses it.`, { machine: machine.name });
        }
        if (!existsSync(this.machineFile(plan.instanceId, machine.name))) {
          onProgress({ machine: machine.name, step: 'create', message: `creating ${machine.name}` });
          await this.createMachine(plan.instanceId, machine);
          created.push(machine.name);
        }
        const init = this.processesOf(plan.instanceId, machine.name).find((p) => p.init);
        if (init?.state === 'T') await this.resume(plan.instanceId, machine.name);
        else if (!init) {
          onProgress({ machine: machine.name, step: 'start', message: `starting ${machine.name}` });
          await this.start(plan.instanceId, machine.name);
        }
      }
      onProgress({ step: 'ready', message: 'all machines are running' });
    } catch (error) {
      for (const machine of created) await this.remove(plan.instanceId, machine);
      if (createdInstance) await this.destroy(plan.instanceId);
      this.rescan();
      throw error instanceof RuntimeError ? error : new RuntimeError('failed', `Applying the plan failed: ${String(error)}`, { cause: error });
    }
  }

  async setPower(id: InstanceId, to: PowerState): Promise<void> {
    for (const machine of this.machinesOf(id)) {
      const init = this.processesOf(id, machine).find((p) => p.init);
      if (to === 'running') {
        if (init?.state === 'T') await this.resume(id, machine);
        else if (!init) await this.start(id, machine);
      } else if (to === 'stopped') {
        await this.stop(id, machine);
      } else if (init && init.state !== 'T') {
        await this.pause(id, machine);
      } else if (!init) {
        throw new RuntimeError('not_running', `Machine "${machine}" is stopped; only a running machine can be paused.`, { machine });
      }
    }
  }

  async reset(id: InstanceId, plan: InstancePlan, machine?: string): Promise<void> {
    if (machine && !plan.machines.some((m) => m.name === machine)) throw new RuntimeError('not_found', `There is no machine "${machine}" in this instance.`);
    for (const name of this.machinesOf(id)) if (!machine || name === machine) await this.remove(id, name);
    await this.apply(plan);
  }

  async destroy(id: InstanceId): Promise<void> {
    for (const name of this.machinesOf(id)) this.clearVanishing(id, name);
    await this.killAll((p) => p.instanceId === id);
    rmSync(this.instanceDir(id), { recursive: true, force: true });
    this.rescan();
  }

  async *observe(signal: AbortSignal): AsyncIterable<MachineObservation> {
    const queue = new ObservationQueue(signal);
    const subscriber = (observation: MachineObservation) => queue.push(observation);
    if (this.subscribers.size === 0) {
      // Changes this runtime makes are pushed as it makes them; a periodic look at /proc catches the rest (processes killed from outside).
      this.known = this.snapshot();
      // Not unref'd: a test waiting for an observation is work in progress. Aborting the observation ends it.
      this.poller = setInterval(() => this.rescan(), pollMs);
    }
    this.subscribers.add(subscriber);
    try {
      yield* queue;
    } finally {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) clearInterval(this.poller);
    }
  }

  async list(): Promise<ObservedInstance[]> {
    const processes = machineProcesses(this.root);
    const ids = new Set([...this.instanceIds(), ...processes.map((p) => p.instanceId)]);
    return [...ids].map((id) => {
      const record = this.readInstance(id);
      const names = new Set([...this.machinesOf(id), ...processes.filter((p) => p.instanceId === id).map((p) => p.machine)]);
      const machines = [...names].map((name) => ({ name, ...this.stateOf(id, name, processes) }));
      return { instanceId: id, installation: record?.installation ?? '', owner: record?.owner ?? '', machines };
    });
  }

  async openTerminal(ref: MachineRef, size: TermSize): Promise<TerminalChannel> {
    const { init, record } = this.running(ref);
    const shell = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
    const term = pty.spawn('nsenter', this.enter(init, record, [shell, '-l']), {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      env: this.envOf(ref, record, { TERM: 'xterm-256color' }),
      encoding: null,
    });
    const stream = new Duplex({
      read: () => term.resume(),
      write: (chunk: Buffer, _encoding, callback) => {
        term.write(chunk);
        callback();
      },
      destroy: (error, callback) => {
        term.kill('SIGKILL');
        callback(error);
      },
    });
    term.onData((data) => {
      if (!stream.push(data)) term.pause();
    });
    term.onExit(() => stream.push(null));
    return { stream, resize: async ({ cols, rows }) => term.resize(cols, rows) };
  }

  async openVnc(ref: MachineRef): Promise<Duplex> {
    const record = this.readMachine(ref);
    if (record.plan.vncPort === null) throw new RuntimeError('not_found', `Machine "${ref.machine}" has no desktop.`, { machine: ref.machine });
    return this.openPort(ref, record.plan.vncPort);
  }

  async openPort(ref: MachineRef, port: number): Promise<Duplex> {
    const { record } = this.running(ref);
    const hostPort = record.ports[String(port)];
    if (hostPort === undefined) {
      throw new RuntimeError('not_found', `Port ${port} of machine "${ref.machine}" is not declared: the process runtime reaches only declared ports.`, {
        machine: ref.machine,
      });
    }
    return new Promise((resolve, reject) => {
      const socket = net.connect(hostPort, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error) =>
        reject(
          new RuntimeError('failed', `Nothing answers on port ${port} of machine "${ref.machine}" (127.0.0.1:${hostPort}).`, {
            cause: error,
            machine: ref.machine,
          }),
        ),
      );
    });
  }

  async exec(ref: MachineRef, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { init, record } = this.running(ref);
    const output = new OutputHead(options.maxOutputBytes ?? 64 * 1024);
    // Its own process group, so that a timeout kills what the command started too.
    const child = spawn('nsenter', this.enter(init, record, argv), { env: this.envOf(ref, record), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalAll([-(child.pid ?? 0)], 'SIGKILL');
    }, options.timeoutMs ?? 30_000);
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    }).finally(() => clearTimeout(timer));
    return timedOut ? { exitCode: 124, output: output.text(), timedOut } : { exitCode, output: output.text(), timedOut };
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    for (const timer of this.vanishTimers.values()) clearTimeout(timer);
    this.vanishTimers.clear();
  }

  /** Destroys every instance under this runtime's root and the root itself (for a test's `after`). */
  async dispose(): Promise<void> {
    for (const id of this.instanceIds()) await this.destroy(id);
    await this.killAll(() => true);
    await this.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The live processes of an instance, as /proc shows them now (for tests that check what runs, as others ask the engine). */
  processesOf(id: InstanceId, machine?: string): MachineProcess[] {
    return machineProcesses(this.root).filter((p) => p.instanceId === id && (!machine || p.machine === machine));
  }

  private async createMachine(id: InstanceId, plan: ContainerMachinePlan): Promise<void> {
    mkdirSync(path.join(this.machineDir(id, plan.name), 'home'), { recursive: true });
    const ports: Record<string, number> = {};
    for (const port of [...plan.httpPorts, ...(plan.vncPort === null ? [] : [plan.vncPort])]) ports[String(port)] = await freePort();
    this.writeMachine(id, plan.name, { plan, ports, power: 'stopped' });
  }

  /** Starts the machine's init in namespaces of its own; resolves once its host name and /root are in place. */
  private async start(id: InstanceId, machine: string): Promise<void> {
    const record = this.readMachine({ instanceId: id, machine });
    const home = path.join(this.machineDir(id, machine), 'home');
    mkdirSync(home, { recursive: true });
    const key = `${id}/${machine}`;
    this.exits.delete(key);
    const script = 'hostname "$1" && mount --bind "$2" /root && echo ready && exec sleep infinity </dev/null >/dev/null 2>&1';
    const init = spawn(
      'unshare',
      [
        '--uts',
        '--mount',
        '--propagation',
        'private',
        '--',
        'prlimit',
        `--as=${record.plan.resources.memoryBytes}`,
        '--',
        'sh',
        '-c',
        script,
        'init',
        machine,
        home,
      ],
      {
        env: { ...this.labelsOf({ instanceId: id, machine }), [processLabels.role]: 'init', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    init.once('exit', (code, signal) => {
      this.exits.set(key, signal ? `killed by ${signal}` : `exited with code ${code}`);
      this.rescan();
    });
    init.unref();
    let said = '';
    init.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    init.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const ready = await new Promise<boolean>((resolve) => {
      init.stdout.on('data', () => {
        if (said.includes('ready')) resolve(true);
      });
      init.once('close', () => resolve(said.includes('ready')));
      init.once('error', (error) => {
        said += error.message;
        resolve(false);
      });
    });
    init.stdout.destroy();
    init.stderr.destroy();
    if (!ready) throw new RuntimeError('failed', `Machine "${machine}" did not start: ${said.trim() || 'its init ended'}`, { machine });
    this.writeMachine(id, machine, { ...record, power: 'running' });
    if (this.variant.kind === 'vanishing') {
      this.clearVanishing(id, machine);
      // Not unref'd: the vanishing is what a test waits for. close() cancels it.
      const timer = setTimeout(
        () =>
          signalAll(
            this.processesOf(id, machine).map((p) => p.pid),
            'SIGKILL',
          ),
        this.variant.afterMs,
      );
      this.vanishTimers.set(key, timer);
    }
    this.rescan();
  }

  private async stop(id: InstanceId, machine: string): Promise<void> {
    const record = this.readMachine({ instanceId: id, machine });
    this.writeMachine(id, machine, { ...record, power: 'stopped' });
    this.clearVanishing(id, machine);
    await this.killAll((p) => p.instanceId === id && p.machine === machine);
    this.rescan();
  }

  private async pause(id: InstanceId, machine: string): Promise<void> {
    const record = this.readMachine({ instanceId: id, machine });
    signalAll(
      this.processesOf(id, machine).map((p) => p.pid),
      'SIGSTOP',
    );
    await eventually(
      `machine ${machine} paused`,
      () => this.processesOf(id, machine),
      (ps) => ps.every((p) => p.state === 'T'),
      { timeoutMs: settleMs, intervalMs: 20 },
    );
    this.writeMachine(id, machine, { ...record, power: 'paused' });
    this.rescan();
  }

  private async resume(id: InstanceId, machine: string): Promise<void> {
    const record = this.readMachine({ instanceId: id, machine });
    signalAll(
      this.processesOf(id, machine).map((p) => p.pid),
      'SIGCONT',
    );
    await eventually(
      `machine ${machine} resumed`,
      () => this.processesOf(id, machine),
      (ps) => ps.every((p) => p.state !== 'T'),
      { timeoutMs: settleMs, intervalMs: 20 },
    );
    this.writeMachine(id, machine, { ...record, power: 'running' });
    this.rescan();
  }

  /** Kills the machine's processes and removes its directory. */
  private async remove(id: InstanceId, machine: string): Promise<void> {
    this.clearVanishing(id, machine);
    await this.killAll((p) => p.instanceId === id && p.machine === machine);
    rmSync(this.machineDir(id, machine), { recursive: true, force: true });
  }

  /** SIGKILL (after SIGCONT, so a paused process dies at once) until /proc shows none of them. */
  private async killAll(which: (p: MachineProcess) => boolean): Promise<void> {
    await eventually(
      'the processes to end',
      () => {
        const doomed = machineProcesses(this.root).filter(which);
        signalAll(
          doomed.map((p) => p.pid),
          'SIGKILL',
        );
        signalAll(
          doomed.map((p) => p.pid),
          'SIGCONT',
        );
        return doomed.map((p) => `${p.pid} ${p.machine} ${p.state}`);
      },
      (left) => left.length === 0,
      { timeoutMs: settleMs, intervalMs: 20 },
    );
  }

  private clearVanishing(id: InstanceId, machine: string): void {
    clearTimeout(this.vanishTimers.get(`${id}/${machine}`));
    this.vanishTimers.delete(`${id}/${machine}`);
  }

  private stateOf(id: InstanceId, machine: string, processes: MachineProcess[]): { state: MachineState; message?: string } {
    const init = processes.find((p) => p.instanceId === id && p.machine === machine && p.init);
    if (init) return { state: init.state === 'T' ? 'paused' : 'running' };
    const record = this.readMachineIfAny(id, machine);
    if (!record || record.power === 'stopped') return { state: 'stopped' };
    return { state: 'failed', message: this.exits.get(`${id}/${machine}`) ?? 'its init process is gone' };
  }

  /** Every machine's state now, by `instance/machine`. */
  private snapshot(): Map<string, { state: MachineObservation['state']; message?: string }> {
    const processes = machineProcesses(this.root);
    const states = new Map<string, { state: MachineObservation['state']; message?: string }>();
    for (const id of this.instanceIds()) for (const machine of this.machinesOf(id)) states.set(`${id}/${machine}`, this.stateOf(id, machine, processes));
    return states;
  }

  /** Pushes every change since the last look to the observers. */
  private rescan(): void {
    if (this.subscribers.size === 0) return;
    const now = this.snapshot();
    const changes: MachineObservation[] = [];
    for (const [key, seen] of now) {
      const before = this.known.get(key);
      if (before?.state === seen.state && before.message === seen.message) continue;
      const [instanceId = '', machine = ''] = key.split('/');
      changes.push({ instanceId, machine, ...seen });
    }
    for (const key of this.known.keys()) {
      if (now.has(key)) continue;
      const [instanceId = '', machine = ''] = key.split('/');
      changes.push({ instanceId, machine, state: 'removed' });
    }
    this.known = now;
    for (const change of changes) for (const subscriber of this.subscribers) subscriber(change);
  }

  /** The machine's record and init process; RuntimeError `not_running` unless it runs. */
  private running(ref: MachineRef): { init: MachineProcess; record: MachineRecord } {
    const record = this.readMachine(ref);
    const init = this.processesOf(ref.instanceId, ref.machine).find((p) => p.init);
    if (!init || init.state === 'T')
      throw new RuntimeError('not_running', `Machine "${ref.machine}" is not running (${init ? 'paused' : 'stopped'}).`, { machine: ref.machine });
    return { init, record };
  }

  /** nsenter arguments that run `argv` in the machine: its namespaces, /root, its memory limit. */
  private enter(init: MachineProcess, record: MachineRecord, argv: string[]): string[] {
    return ['--target', String(init.pid), '--uts', '--mount', '--wd=/root', '--', 'prlimit', `--as=${record.plan.resources.memoryBytes}`, '--', ...argv];
  }

  private envOf(ref: MachineRef, record: MachineRecord, extra: Record<string, string> = {}): Record<string, string> {
    const ports = Object.fromEntries(Object.entries(record.ports).map(([declared, host]) => [`LABHUB_PORT_${declared}`, String(host)]));
    return {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      ...record.plan.env,
      ...ports,
      ...extra,
      ...this.labelsOf(ref),
    };
  }

  private labelsOf(ref: MachineRef): Record<string, string> {
    return { [processLabels.root]: this.root, [processLabels.instance]: ref.instanceId, [processLabels.machine]: ref.machine };
  }

  private instanceIds(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  }

  private machinesOf(id: InstanceId): string[] {
    const dir = this.instanceDir(id);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'machine.json')))
      .map((entry) => entry.name);
  }

  private instanceDir(id: InstanceId): string {
    return path.join(this.root, id);
  }

  private machineDir(id: InstanceId, machine: string): string {
    return path.join(this.root, id, machine);
  }

  private machineFile(id: InstanceId, machine: string): string {
    return path.join(this.machineDir(id, machine), 'machine.json');
  }

  private readInstance(id: InstanceId): InstanceRecord | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.instanceDir(id), 'instance.json'), 'utf8')) as InstanceRecord;
    } catch {
      return undefined;
    }
  }

  private readMachineIfAny(id: InstanceId, machine: string): MachineRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.machineFile(id, machine), 'utf8')) as MachineRecord;
    } catch {
      return undefined;
    }
  }

  private readMachine(ref: MachineRef): MachineRecord {
    const record = this.readMachineIfAny(ref.instanceId, ref.machine);
    if (!record) throw new RuntimeError('not_found', `There is no machine "${ref.machine}" in instance ${ref.instanceId}.`, { machine: ref.machine });
    return record;
  }

  private writeMachine(id: InstanceId, machine: string, record: MachineRecord): void {
    writeFileSync(this.machineFile(id, machine), JSON.stringify(record));
  }
}

