import type { Duplex } from 'node:stream';

/**
 * The runtime contract (docs/architecture.md §3): what a backend must do to turn an instance plan into
 * real workloads. The instances service owns policy (who, when, limits); a runtime only fills
 * in steps. Every runtime passes the one conformance suite in test/runtime-conformance/.
 *
 * Identity: every object a runtime creates carries the labels of `labels()` in naming.ts, and
 * those labels alone are enough to find it again after a crash.
 */
export interface Runtime {
  readonly name: 'local' | 'kubernetes';

  /** What this runtime can do here. Cheap; may be called per request. */
  capabilities(): RuntimeCapabilities;

  /**
   * Creates whatever of the plan is missing and starts it. Idempotent: applying the same plan
   * twice changes nothing the second time. Progress is reported through `onProgress`.
   * On failure it removes what it created for this instance and throws a RuntimeError whose
   * message names the machine and the cause; nothing is left behind.
   */
  apply(plan: InstancePlan, onProgress?: ProgressListener): Promise<void>;

  /**
   * Moves every machine of the instance to `to`. `stopped` keeps each machine's disk or
   * filesystem (a VM gets its ACPI power button first, so its guest syncs and powers off);
   * `paused` freezes memory (throws RuntimeError `unsupported` where the capability says no).
   * Starting a VM resolves once its guest has booted. Idempotent.
   */
  setPower(id: InstanceId, to: PowerState): Promise<void>;

  /** Puts one machine (or all) back to its base image (a VM: a fresh overlay on its base disk), losing its writes, and starts it again. */
  reset(id: InstanceId, plan: InstancePlan, machine?: string): Promise<void>;

  /** Removes every object labelled with the instance. Idempotent: destroying nothing succeeds. */
  destroy(id: InstanceId): Promise<void>;

  /**
   * Machine state changes as they happen (from the engine's event stream or a watch, not polling
   * where avoidable). The iterable ends when `signal` aborts. A VM is `starting` while it boots
   * and `running` once its guest is up; messages name the acceleration, e.g. "running (TCG, no KVM)".
   */
  observe(signal: AbortSignal): AsyncIterable<MachineObservation>;

  /** Every instance that has labelled objects, with its machines' states: for reconciling and garbage collection. */
  list(): Promise<ObservedInstance[]>;

  /**
   * A terminal on the machine: a PTY (containers) or its serial console (VMs). Throws RuntimeError
   * when the machine is not running. A serial console has no window size: `resize` does nothing
   * there, and a VM's console serves one connection at a time (a second one waits for the first).
   * A paused VM's console connects but stays silent until it resumes.
   */
  openTerminal(machine: MachineRef, size: TermSize): Promise<TerminalChannel>;

  /** Raw RFB bytes of the machine's screen. Throws RuntimeError when it has none or is not running. */
  openVnc(machine: MachineRef): Promise<Duplex>;

  /** Raw TCP to a port of the machine (for a VM: of its guest), from inside the instance's own network. */
  openPort(machine: MachineRef, port: number): Promise<Duplex>;

  /** Runs a command in the machine (for step checks). Throws RuntimeError `unsupported` where the machine cannot exec (VMs without a guest agent: see `capabilities().vmExec`). */
  exec(machine: MachineRef, argv: string[], options?: ExecOptions): Promise<ExecResult>;

  /** Releases connections to the engine or cluster. */
  close(): Promise<void>;
}

export type InstanceId = string;
export type PowerState = 'running' | 'stopped' | 'paused';

export interface RuntimeCapabilities {
  vm: boolean;
  pause: boolean;
  snapshot: boolean;
  /** Whether VMs run with hardware acceleration; absent when unknown. */
  kvm?: boolean;
  /**
   * Whether `exec` reaches into VMs (it needs a guest agent in the VM's disk). When false, exec
   * on a VM throws RuntimeError `unsupported` and step checks type their command into the VM's
   * serial console instead (instances/console-check.ts). Absent: no VMs.
   */
  vmExec?: boolean;
}

export interface MachineRef {
  instanceId: InstanceId;
  machine: string;
}

export interface TermSize {
  cols: number;
  rows: number;
}

/** Everything a runtime needs to create one instance; made from a lab by plan.ts. */
export interface InstancePlan {
  instanceId: InstanceId;
  /** The labhub installation that owns the instance (several may share one engine or cluster). */
  installation: string;
  owner: string;
  lab: { name: string; version: number };
  network: { egress: 'allow' | 'deny' };
  machines: MachinePlan[];
}

interface MachinePlanBase {
  name: string;
  /** cpu in millicores, memory in bytes. */
  resources: { cpuMillis: number; memoryBytes: number; diskBytes?: number };
  env: Record<string, string>;
  /** TCP ports the lab declares as HTTP apps (also the only ports openPort needs to serve to the gateway). */
  httpPorts: number[];
}

export interface ContainerMachinePlan extends MachinePlanBase {
  type: 'container';
  image: string;
  /** Port of the image's VNC server inside the container; null when it has none. */
  vncPort: number | null;
}

export type VmDisk = { image: string } | { containerDisk: string } | { url: string } | { pvc: string };

export interface VmMachinePlan extends MachinePlanBase {
  type: 'vm';
  disk: VmDisk;
  cloudInit?: { userData: string };
}

export type MachinePlan = ContainerMachinePlan | VmMachinePlan;

export type MachineState = 'pending' | 'starting' | 'running' | 'paused' | 'stopped' | 'failed';

export interface MachineObservation {
  instanceId: InstanceId;
  machine: string;
  /** `removed`: the machine's workload is gone (destroyed, or deleted behind labhub's back). */
  state: MachineState | 'removed';
  /** Why, in words, when failed or in progress (e.g. "exited with code 1"). */
  message?: string;
}

export interface ObservedMachine {
  name: string;
  state: MachineState;
  message?: string;
}

export interface ObservedInstance {
  instanceId: InstanceId;
  /** From the installation label; empty when the objects carry none. */
  installation: string;
  owner: string;
  machines: ObservedMachine[];
}

/** One step of an apply, for the UI ("building labhub/shell…", "starting router"). */
export interface Progress {
  machine?: string;
  step: 'image' | 'network' | 'create' | 'start' | 'ready';
  message: string;
}
export type ProgressListener = (progress: Progress) => void;

/** A live terminal. `stream` carries raw bytes both ways with backpressure; destroying it ends the session. */
export interface TerminalChannel {
  readonly stream: Duplex;
  resize(size: TermSize): Promise<void>;
}

export interface ExecOptions {
  /** Kill the command after this long; the result then has `timedOut: true`. Default 30 s. */
  timeoutMs?: number;
  /** Keep at most this many bytes of output (the tail is dropped). Default 64 KiB. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved, as a terminal would show them. */
  output: string;
  timedOut: boolean;
}

export type RuntimeErrorKind = 'not_found' | 'not_running' | 'unsupported' | 'bad_plan' | 'engine_unavailable' | 'conflict' | 'failed';

/** A runtime failure, in words a learner or admin can act on. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
    options?: { cause?: unknown; machine?: string },
  ) {
    super(message, options);
    this.machine = options?.machine;
  }
  readonly machine: string | undefined;
}
