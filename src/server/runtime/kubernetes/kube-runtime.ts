import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { kubeDiskName, kubeHomeClaimName, kubeMachineName, kubeNamespaceName, kubePlanSecretName, labelKeys } from '../naming.js';
import {
  RuntimeError,
  type ExecOptions,
  type ExecResult,
  type InstanceId,
  type InstancePlan,
  type MachineObservation,
  type MachineRef,
  type ObservedInstance,
  type PowerState,
  type ProgressListener,
  type Runtime,
  type RuntimeCapabilities,
  type TermSize,
  type TerminalChannel,
} from '../runtime.js';
import { buildHomeClaim, buildPod } from './builders/container-machine.js';
import { buildInstance } from './builders/instance-objects.js';
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from './builders/kubevirt-types.js';
import type { KubeSettings } from './builders/settings.js';
import { WatchCache } from './informer.js';
import { KubeApiError, type KubeApi, type KubeObject, type OpenedSocket } from './kube-api.js';
import { containerState, vmState, type StateWithMessage } from './machine-state.js';
import { pathOf, resourceOf, resources, vmiSubresourcePath } from './resources.js';
import { execStream, portForwardStream, rawStream } from './streams.js';
import { ObservationQueue, OutputHead, settleAll, validatePlan, waitForOutput } from '../runtime-support.js';

export interface KubeRuntimeOptions {
  api: KubeApi;
  settings: KubeSettings;
  log?: FastifyBaseLogger;
  /** How long apply() waits for every machine to run: image pulls and CDI disk imports take a while. Default 15 min. */
  startTimeoutMs?: number;
  /** How long stop, reset and destroy wait for objects to go. Default 5 min. */
  removeTimeoutMs?: number;
}

type NamespaceObject = KubeObject;
type MachineEntry = { name: string; type: 'container' | 'vm' };

/** The Namespace annotation listing the machines, as `buildNamespace` writes it. */
function machinesOf(namespace: NamespaceObject | undefined): MachineEntry[] {
  const text = namespace?.metadata?.annotations?.[labelKeys.machines] ?? '';
  return text
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [name = '', type] = entry.split(':');
      return { name, type: type === 'vm' ? 'vm' : 'container' };
    });
}

/** What KubeVirt's device plugin advertises on nodes with a usable /dev/kvm. */
const kvmResource = 'devices.kubevirt.io/kvm';

/**
 * The Kubernetes runtime (docs/architecture.md §3, docs/decisions/0010-kubernetes-objects.md): a Namespace per
 * instance with a NetworkPolicy, ResourceQuota and LimitRange; a Pod per container machine and a
 * KubeVirt VirtualMachine per VM machine, each with a headless Service of the machine's name.
 * State comes from one watch cache per kind; terminals, screens and ports go through the API
 * server's exec, portforward and KubeVirt console/vnc/portforward subresources.
 */
export class KubeRuntime implements Runtime {
  readonly name = 'kubernetes' as const;
  private readonly api: KubeApi;
  private readonly settings: KubeSettings;
  private readonly log: FastifyBaseLogger | undefined;
  private caches: Caches | undefined;
  /** Per node: "KVM" or "TCG, no KVM" (from the node's allocatable KVM devices), once looked up. */
  private readonly nodeAccel = new Map<string, Promise<string>>();
  private readonly nodeAccelKnown = new Map<string, string>();
  private readonly accelListeners = new Set<() => void>();

  constructor(private readonly options: KubeRuntimeOptions) {
    this.api = options.api;
    this.settings = options.settings;
    this.log = options.log;
  }

  /** Containers pause by stopping their processes (docs/decisions/0010-kubernetes-objects.md); VMs run no guest agent, so no exec. */
  capabilities(): RuntimeCapabilities {
    const known = [...this.nodeAccelKnown.values()];
    return { vm: true, pause: true, snapshot: false, vmExec: false, ...(known.length > 0 && { kvm: known.every((words) => words === 'KVM') }) };
  }

  async apply(plan: InstancePlan, onProgress: ProgressListener = () => {}): Promise<void> {
    validatePlan(plan);
    const objects = buildInstance(plan, this.settings);
    const caches = await this.ready();
    const namespace = kubeNamespaceName(plan.instanceId);
    let createdNamespace = false;
    const createdWorkloads: string[] = [];
    try {
      onProgress({ step: 'network', message: 'creating the namespace and its network policy' });
      let existing = await this.api.get<NamespaceObject>(pathOf(resources.namespace, undefined, namespace));
      if (existing && existing.metadata?.annotations?.[labelKeys.instance] !== plan.instanceId) {
        throw new RuntimeError('conflict', `A namespace named "${namespace}" already exists and does not belong to this instance.`);
      }
      if (existing?.metadata?.deletionTimestamp) {
        await this.waitUntil(() => !caches.namespaces.get(undefined, namespace), `namespace ${namespace} to finish terminating`, this.removeTimeout);
        existing = undefined;
      }
      if (existing) await this.ensure(objects.namespace);
      else {
        await this.api.request('POST', pathOf(resources.namespace), objects.namespace);
        createdNamespace = true;
      }
      for (const object of objects.policy) await this.ensure(object);
      for (const machine of objects.machines) {
        for (const secret of machine.secrets) await this.ensure(secret);
        for (const claim of machine.claims) await this.ensureExists(claim);
        await this.ensure(machine.service);
        if (machine.workload.kind === 'Pod') {
          if (await this.ensurePod(machine.workload.object, onProgress, machine.name)) createdWorkloads.push(pathOf(resources.pod, namespace, kubeMachineName(machine.name)));
        } else if (await this.ensureVmRunning(machine.workload.object, onProgress, machine.name)) {
          createdWorkloads.push(pathOf(resources.virtualMachine, namespace, kubeMachineName(machine.name)));
        }
      }
      await this.waitRunning(namespace, plan.machines, onProgress);
      onProgress({ step: 'ready', message: 'all machines are running' });
    } catch (error) {
      // Nothing is left behind: a namespace made now goes whole, else what this apply created.
      if (createdNamespace) await this.removeNamespace(namespace).catch(() => {});
      else for (const path of createdWorkloads) await this.api.delete(path).catch(() => {});
      throw asRuntimeError(error);
    }
  }

  async setPower(id: InstanceId, to: PowerState): Promise<void> {
    const caches = await this.ready();
    const namespace = kubeNamespaceName(id);
    const namespaceObject = caches.namespaces.get(undefined, namespace) ?? (await this.api.get<NamespaceObject>(pathOf(resources.namespace, undefined, namespace)));
    if (!namespaceObject) throw new RuntimeError('not_found', `There is no instance "${id}".`);
    const machines = machinesOf(namespaceObject);
    if (to === 'stopped') {
      await settleAll(machines.map((machine) => (machine.type === 'vm' ? this.stopVm(namespace, machine.name) : this.removePod(namespace, machine.name))));
      return;
    }
    if (to === 'running') {
      const plan = await this.storedPlan(namespace);
      await settleAll(
        machines.map(async (machine) => {
          const planned = plan.machines.find((candidate) => candidate.name === machine.name);
          if (planned?.type === 'container') {
            await this.ensureExists(buildHomeClaim(plan, planned));
            await this.ensurePod(buildPod(plan, planned, this.settings), () => {}, machine.name);
          } else if (machine.type === 'vm') await this.ensureVmRunning(undefined, () => {}, machine.name, namespace);
        }),
      );
      await this.waitRunning(namespace, machines, () => {});
      return;
    }
    await settleAll(
      machines.map(async (machine) => {
        const { state } = this.stateOf(namespace, machine);
        if (state === 'paused') return;
        if (state !== 'running') throw new RuntimeError('not_running', `Machine "${machine.name}" is ${state}; only a running machine can be paused.`, { machine: machine.name });
        if (machine.type === 'vm') await this.api.request('PUT', vmiSubresourcePath(namespace, kubeMachineName(machine.name), 'pause'), {});
        else await this.freeze(namespace, machine.name, true);
      }),
    );
    await this.waitUntil(() => machines.every((machine) => this.stateOf(namespace, machine).state === 'paused'), 'every machine to pause', this.removeTimeout);
  }

  async reset(id: InstanceId, plan: InstancePlan, machine?: string): Promise<void> {
    if (machine !== undefined && !plan.machines.some((candidate) => candidate.name === machine)) {
      throw new RuntimeError('not_found', `There is no machine "${machine}" in this instance.`);
    }
    await this.ready();
    const namespace = kubeNamespaceName(id);
    const targets = plan.machines.filter((candidate) => machine === undefined || candidate.name === machine);
    await settleAll(
      targets.map(async (target) => {
        if (target.type === 'container') {
          // A container's writes outside its home went with its Pod; its home goes with the claim.
          await this.removePod(namespace, target.name);
          return this.removeUncached(resources.persistentVolumeClaim, namespace, kubeHomeClaimName(target.name));
        }
        // A VM's writes live on its DataVolume: the VM goes, then its disk; apply() makes both afresh.
        await this.removeObject(resources.virtualMachine, namespace, kubeMachineName(target.name), () => this.caches?.vms.get(namespace, kubeMachineName(target.name)));
        await this.waitUntil(() => !this.caches?.vmis.get(namespace, kubeMachineName(target.name)), `the VM ${target.name} to stop`, this.removeTimeout);
        await this.removeObject(resources.dataVolume, namespace, kubeDiskName(target.name), () => this.caches?.disks.get(namespace, kubeDiskName(target.name)));
      }),
    );
    await this.apply(plan);
  }

  async destroy(id: InstanceId): Promise<void> {
    await this.ready();
    await this.removeNamespace(kubeNamespaceName(id));
  }

  async *observe(signal: AbortSignal): AsyncIterable<MachineObservation> {
    const caches = await this.ready();
    const queue = new ObservationQueue(signal);
    const last = new Map<string, { instanceId: string; machine: string; said: string }>();
    const check = (namespace: string) => {
      const namespaceObject = caches.namespaces.get(undefined, namespace);
      if (!namespaceObject) {
        for (const [key, entry] of last) {
          if (!key.startsWith(`${namespace}/`)) continue;
          last.delete(key);
          queue.push({ instanceId: entry.instanceId, machine: entry.machine, state: 'removed' });
        }
        return;
      }
      const instanceId = instanceIdOf(namespaceObject);
      for (const machine of machinesOf(namespaceObject)) {
        const observed = this.stateOf(namespace, machine);
        const said = `${observed.state}|${observed.message ?? ''}`;
        const key = `${namespace}/${machine.name}`;
        if (last.get(key)?.said === said) continue;
        const seen = last.has(key);
        last.set(key, { instanceId, machine: machine.name, said });
        // Only changes are news: the states at subscription are where observers start from.
        if (seen) queue.push({ instanceId, machine: machine.name, state: observed.state, ...(observed.message && { message: observed.message }) });
      }
    };
    for (const namespace of caches.namespaces.list()) check(namespace.metadata?.name ?? '');
    const onEvent = (event: { object: KubeObject }) => {
      const object = event.object;
      check(object.kind === 'Namespace' || !object.metadata?.namespace ? (object.metadata?.name ?? '') : object.metadata.namespace);
    };
    const unsubscribe = [caches.namespaces, caches.pods, caches.vms, caches.vmis, caches.disks].map((cache) => (cache as WatchCache<KubeObject>).subscribe(onEvent));
    const onAccel = () => caches.namespaces.list().forEach((namespace) => check(namespace.metadata?.name ?? ''));
    this.accelListeners.add(onAccel);
    try {
      yield* queue;
    } finally {
      unsubscribe.forEach((stop) => stop());
      this.accelListeners.delete(onAccel);
    }
  }

  async list(): Promise<ObservedInstance[]> {
    const caches = await this.ready();
    return caches.namespaces.list().map((namespace) => {
      const name = namespace.metadata?.name ?? '';
      const annotations = namespace.metadata?.annotations ?? {};
      return {
        instanceId: instanceIdOf(namespace),
        installation: annotations[labelKeys.installation] ?? namespace.metadata?.labels?.[labelKeys.installation] ?? '',
        owner: annotations[labelKeys.owner] ?? namespace.metadata?.labels?.[labelKeys.owner] ?? '',
        machines: machinesOf(namespace).map((machine) => ({ name: machine.name, ...this.stateOf(name, machine) })),
      };
    });
  }

  async openTerminal(ref: MachineRef, size: TermSize): Promise<TerminalChannel> {
    const { namespace, machine } = await this.reachable(ref, { pausedVmOk: true });
    const name = kubeMachineName(machine.name);
    if (machine.type === 'vm') {
      // A serial console has no window size: resize does nothing.
      const stream = rawStream(await this.connect(vmiSubresourcePath(namespace, name, 'console'), ['plain.kubevirt.io'], ref.machine));
      // The shell only prints its prompt when asked: a carriage return shows it at once.
      stream.write('\r');
      return { stream, resize: async () => {} };
    }
    const shell = 'export TERM=xterm-256color COLORTERM=truecolor; if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi';
    const socket = await this.connect(execPath(namespace, name, ['/bin/sh', '-c', shell], { stdin: true, tty: true }), ['v5.channel.k8s.io', 'v4.channel.k8s.io'], ref.machine);
    const exec = execStream(socket);
    // The session is attached once the shell has spoken (its prompt): a window size sent before its
    // process runs is dropped by container runtimes (as Podman does locally), and so may be early input.
    await waitForOutput(exec.stream, 5000);
    let latest = size;
    const resize = async (next: TermSize) => {
      latest = next;
      exec.resize(next.cols, next.rows);
      // Window changes race with each other on their way to the runtime (and early ones can be dropped, as
      // Podman does under load): the latest size is sent again shortly after. An unchanged size changes nothing.
      for (const delayMs of [300, 1500]) setTimeout(() => exec.resize(latest.cols, latest.rows), delayMs).unref();
    };
    await resize(size);
    return { stream: exec.stream, resize };
  }

  async openVnc(ref: MachineRef): Promise<Duplex> {
    const { namespace, machine } = await this.reachable(ref, { pausedVmOk: true });
    const name = kubeMachineName(machine.name);
    if (machine.type === 'vm') return rawStream(await this.connect(vmiSubresourcePath(namespace, name, 'vnc'), ['plain.kubevirt.io'], ref.machine));
    const port = Number(this.caches?.pods.get(namespace, name)?.metadata?.annotations?.[labelKeys.vncPort]);
    if (!port) throw new RuntimeError('unsupported', `Machine "${ref.machine}" has no desktop.`, { machine: ref.machine });
    return portForwardStream(await this.connect(`${pathOf(resources.pod, namespace, name)}/portforward?ports=${port}`, ['v4.channel.k8s.io', 'portforward.k8s.io'], ref.machine));
  }

  /** Containers: `pods/portforward`. VMs: KubeVirt's VMI `portforward` subresource, which reaches the guest's port (a Pod port-forward would reach the launcher's loopback, which masquerade does not forward). */
  async openPort(ref: MachineRef, port: number): Promise<Duplex> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('bad_plan', `Port ${port} is not a TCP port.`, { machine: ref.machine });
    const { namespace, machine } = await this.reachable(ref, { pausedVmOk: false });
    const name = kubeMachineName(machine.name);
    if (machine.type === 'vm') return rawStream(await this.connect(vmiSubresourcePath(namespace, name, `portforward/${port}`), ['plain.kubevirt.io'], ref.machine));
    return portForwardStream(await this.connect(`${pathOf(resources.pod, namespace, name)}/portforward?ports=${port}`, ['v4.channel.k8s.io', 'portforward.k8s.io'], ref.machine));
  }

  async exec(ref: MachineRef, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { namespace, machine } = await this.reachable(ref, { pausedVmOk: false });
    if (machine.type === 'vm') {
      throw new RuntimeError('unsupported', `Machine "${ref.machine}" is a VM without a guest agent: labhub cannot run commands in it. Use its terminal (the serial console).`, { machine: ref.machine });
    }
    return this.execIn(namespace, machine.name, argv, options);
  }

  async close(): Promise<void> {
    this.caches?.close();
    this.caches = undefined;
    this.api.close();
  }

  private get removeTimeout(): number {
    return this.options.removeTimeoutMs ?? 5 * 60_000;
  }

  /** The watch caches, started on first use; resolves once each has listed (at most 30 s is waited for that, per call). */
  private async ready(): Promise<Caches> {
    if (!this.caches) {
      const instanceLabel = labelKeys.instance;
      this.caches = new Caches(
        new WatchCache<NamespaceObject>(this.api, resources.namespace, instanceLabel, this.log).start(),
        new WatchCache<IPod & KubeObject>(this.api, resources.pod, `${labelKeys.machineType}=container`, this.log).start(),
        new WatchCache<VirtualMachine & KubeObject>(this.api, resources.virtualMachine, instanceLabel, this.log).start(),
        new WatchCache<VirtualMachineInstance & KubeObject>(this.api, resources.virtualMachineInstance, instanceLabel, this.log).start(),
        new WatchCache<DataVolume & KubeObject>(this.api, resources.dataVolume, instanceLabel, this.log).start(),
      );
    }
    const caches = this.caches;
    if (caches.listed) return caches;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        caches.ready,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new RuntimeError('engine_unavailable', "The Kubernetes API does not answer (listing labhub's objects failed); see the server log.")), 30_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return caches;
  }

  private stateOf(namespace: string, machine: MachineEntry): StateWithMessage {
    const caches = this.caches;
    if (!caches) return { state: 'pending' };
    const name = kubeMachineName(machine.name);
    if (machine.type === 'container') return containerState(caches.pods.get(namespace, name));
    const vmi = caches.vmis.get(namespace, name);
    return vmState(caches.vms.get(namespace, name), vmi, caches.disks.get(namespace, kubeDiskName(machine.name)), this.accelOf(vmi?.status?.nodeName));
  }

  /** "KVM" or "TCG, no KVM" for the node, looked up once (nodes: get); "acceleration unknown" until then or when the node cannot be read. */
  private accelOf(node: string | undefined): string {
    if (!node) return 'acceleration unknown';
    const known = this.nodeAccelKnown.get(node);
    if (known) return known;
    void this.lookUpAccel(node);
    return 'acceleration unknown';
  }

  private lookUpAccel(node: string): Promise<string> {
    let lookup = this.nodeAccel.get(node);
    if (!lookup) {
      lookup = this.api
        .get<{ status?: { allocatable?: Record<string, string> } }>(pathOf(resources.node, undefined, node))
        .then((found) => {
          if (!found) return 'acceleration unknown';
          const devices = Number(found.status?.allocatable?.[kvmResource] ?? '0');
          return devices > 0 ? 'KVM' : 'TCG, no KVM';
        })
        .catch((error: unknown) => {
          this.log?.warn({ err: error, node }, 'cannot read the node to tell its acceleration (RBAC: nodes get)');
          return 'acceleration unknown';
        })
        .then((words) => {
          if (words !== 'acceleration unknown') this.nodeAccelKnown.set(node, words);
          this.accelListeners.forEach((listener) => listener());
          return words;
        });
      this.nodeAccel.set(node, lookup);
    }
    return lookup;
  }

  /** Creates `object`, or brings an existing one's labels, annotations and content up to the plan (merge patch). */
  private async ensure(object: KubeObject): Promise<void> {
    const resource = resourceOf(object);
    const namespace = object.metadata?.namespace;
    try {
      await this.api.request('POST', pathOf(resource, namespace), object);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      await this.api.request('PATCH', pathOf(resource, namespace, object.metadata?.name), object, 'merge');
    }
  }

  /** Creates `object` unless it exists (claims: their spec cannot change, and an existing one keeps its data). */
  private async ensureExists(object: KubeObject): Promise<void> {
    try {
      await this.api.request('POST', pathOf(resourceOf(object), object.metadata?.namespace), object);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }

  /** Makes the machine's Pod exist and run: created when missing, recreated when it ended, thawed when frozen. True when created now. */
  private async ensurePod(pod: IPod, onProgress: ProgressListener, machine: string): Promise<boolean> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const existing = await this.api.get<IPod & KubeObject>(pathOf(resources.pod, namespace, name));
    const ended = existing?.status?.phase === 'Succeeded' || existing?.status?.phase === 'Failed' || existing?.metadata?.deletionTimestamp;
    if (existing && !ended) {
      if (existing.metadata?.annotations?.[labelKeys.paused] === 'true') await this.freeze(namespace, machine, false);
      return false;
    }
    if (existing) await this.removePod(namespace, machine);
    onProgress({ machine, step: 'create', message: `creating ${machine}` });
    await this.api.request('POST', pathOf(resources.pod, namespace), pod);
    return true;
  }

  /** Makes the VM exist with runStrategy Always and its VMI unpaused. `vm` undefined: only an existing VM is started. True when created now. */
  private async ensureVmRunning(vm: VirtualMachine | undefined, onProgress: ProgressListener, machine: string, namespaceOfVm?: string): Promise<boolean> {
    const namespace = vm?.metadata.namespace ?? namespaceOfVm ?? '';
    const name = kubeMachineName(machine);
    const existing = await this.api.get<VirtualMachine>(pathOf(resources.virtualMachine, namespace, name));
    if (!existing) {
      if (!vm) throw new RuntimeError('not_found', `The VM of machine "${machine}" is gone; reset the machine to make it again.`, { machine });
      onProgress({ machine, step: 'create', message: `creating ${machine}` });
      await this.api.request('POST', pathOf(resources.virtualMachine, namespace), vm);
      return true;
    }
    if (existing.spec.runStrategy !== 'Always') {
      onProgress({ machine, step: 'start', message: `starting ${machine}` });
      await this.api.request('PATCH', pathOf(resources.virtualMachine, namespace, name), { spec: { runStrategy: 'Always' } }, 'merge');
    }
    const vmi = await this.api.get<VirtualMachineInstance>(pathOf(resources.virtualMachineInstance, namespace, name));
    if (vmi?.status?.conditions?.some((condition) => condition.type === 'Paused' && condition.status === 'True')) {
      await this.api.request('PUT', vmiSubresourcePath(namespace, name, 'unpause'), {});
    }
    return false;
  }

  /** Waits until every machine runs, reporting progress as their states change; the first failure ends the wait. */
  private async waitRunning(namespace: string, machines: MachineEntry[], onProgress: ProgressListener): Promise<void> {
    const said = new Map<string, string>();
    await this.waitUntil(
      () => {
        let all = true;
        for (const machine of machines) {
          const observed = this.stateOf(namespace, machine);
          if (observed.state === 'failed') throw new RuntimeError('failed', `Machine "${machine.name}" failed: ${observed.message ?? 'no reason given'}.`, { machine: machine.name });
          if (observed.state !== 'running') all = false;
          const words = observed.message ?? observed.state;
          if (said.get(machine.name) !== words) {
            said.set(machine.name, words);
            onProgress({ machine: machine.name, step: observed.state === 'running' ? 'ready' : 'start', message: words });
          }
        }
        return all;
      },
      'every machine to run',
      this.options.startTimeoutMs ?? 15 * 60_000,
    );
    // The acceleration words of VMs come from their node: known before apply() returns.
    const caches = this.caches;
    await Promise.all(
      machines
        .filter((machine) => machine.type === 'vm')
        .map((machine) => caches?.vmis.get(namespace, kubeMachineName(machine.name))?.status?.nodeName)
        .filter((node): node is string => !!node)
        .map((node) => this.lookUpAccel(node)),
    );
  }

  /** Resolves once `done()` holds, re-checked on every cache change (and each second); rejects when it throws or after `timeoutMs`. */
  private async waitUntil(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const caches = this.caches;
    if (!caches) throw new RuntimeError('engine_unavailable', 'The runtime is closed.');
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        try {
          if (!done()) return;
          finish();
          resolve();
        } catch (error) {
          finish();
          reject(error);
        }
      };
      const unsubscribe = caches.all.map((cache) => cache.subscribe(check));
      const ticker = setInterval(check, 1000);
      const timer = setTimeout(() => {
        finish();
        reject(new RuntimeError('failed', `Gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      const finish = () => {
        unsubscribe.forEach((stop) => stop());
        clearInterval(ticker);
        clearTimeout(timer);
      };
      check();
    });
  }

  /** Deletes a container machine's Pod and waits until the watch saw it go. Its file system goes with it (docs/decisions/0010-kubernetes-objects.md). */
  private async removePod(namespace: string, machine: string): Promise<void> {
    const name = kubeMachineName(machine);
    await this.removeObject(resources.pod, namespace, name, () => this.caches?.pods.get(namespace, name));
  }

  private async removeObject(resource: (typeof resources)[keyof typeof resources], namespace: string, name: string, cached: () => unknown): Promise<void> {
    await this.api.delete(pathOf(resource, namespace, name));
    await this.waitUntil(() => !cached(), `${resource.plural} ${namespace}/${name} to go`, this.removeTimeout);
  }

  /** Deletes an object no cache watches and asks until it is gone (claims wait for their Pods to go first). */
  private async removeUncached(resource: (typeof resources)[keyof typeof resources], namespace: string, name: string): Promise<void> {
    const path = pathOf(resource, namespace, name);
    await this.api.delete(path);
    const deadline = Date.now() + this.removeTimeout;
    while (await this.api.get(path)) {
      if (Date.now() > deadline) throw new RuntimeError('failed', `Gave up waiting for ${resource.plural} ${namespace}/${name} to go.`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Halts a VM (KubeVirt shuts the guest down, ACPI first) and waits until its VMI is gone; its DataVolume stays. */
  private async stopVm(namespace: string, machine: string): Promise<void> {
    const name = kubeMachineName(machine);
    try {
      await this.api.request('PATCH', pathOf(resources.virtualMachine, namespace, name), { spec: { runStrategy: 'Halted' } }, 'merge');
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    }
    await this.waitUntil(() => !this.caches?.vmis.get(namespace, name), `the VM ${machine} to stop`, this.removeTimeout);
  }

  private async removeNamespace(namespace: string): Promise<void> {
    await this.api.delete(pathOf(resources.namespace, undefined, namespace));
    await this.waitUntil(() => !this.caches?.namespaces.get(undefined, namespace), `namespace ${namespace} to be deleted`, this.removeTimeout);
  }

  private async storedPlan(namespace: string): Promise<InstancePlan> {
    const secret = await this.api.get<ISecret>(pathOf(resources.secret, namespace, kubePlanSecretName));
    const encoded = secret?.data?.['plan.json'];
    if (!encoded) throw new RuntimeError('not_found', `The instance's plan is missing from namespace ${namespace}; apply the instance again.`);
    return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as InstancePlan;
  }

  /**
   * Pauses (or resumes) a container machine: SIGSTOP (SIGCONT) to every process of the container
   * but its init, then the Pod is marked so its state reads paused. Kubernetes offers no freezer
   * through its API; this is what the learner sees as pause: nothing runs until resume.
   */
  private async freeze(namespace: string, machine: string, paused: boolean): Promise<void> {
    const result = await this.execIn(namespace, machine, ['/bin/sh', '-c', `kill -${paused ? 'STOP' : 'CONT'} -1`], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) throw new RuntimeError('failed', `Cannot ${paused ? 'pause' : 'resume'} machine "${machine}": ${result.output.trim() || `exit code ${result.exitCode}`}`, { machine });
    await this.api.request('PATCH', pathOf(resources.pod, namespace, kubeMachineName(machine)), { metadata: { annotations: { [labelKeys.paused]: paused ? 'true' : null } } }, 'merge');
    const name = kubeMachineName(machine);
    await this.waitUntil(() => (this.caches?.pods.get(namespace, name)?.metadata?.annotations?.[labelKeys.paused] === 'true') === paused, `machine ${machine} to ${paused ? 'pause' : 'resume'}`, 60_000);
  }

  private async execIn(namespace: string, machine: string, argv: string[], options: ExecOptions): Promise<ExecResult> {
    if (argv.length === 0) throw new RuntimeError('bad_plan', 'exec needs a command.', { machine });
    const socket = await this.connect(execPath(namespace, kubeMachineName(machine), argv, { stdin: false, tty: false }), ['v5.channel.k8s.io', 'v4.channel.k8s.io'], machine);
    const exec = execStream(socket);
    const output = new OutputHead(options.maxOutputBytes ?? 64 * 1024);
    exec.stream.on('data', (chunk: Buffer) => output.push(chunk));
    exec.stream.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 30_000)));
    const outcome = await Promise.race([exec.exit, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Closing the stream ends the session; the API offers no signal to the command itself.
      exec.stream.destroy();
      return { exitCode: 124, output: output.text(), timedOut: true };
    }
    // The status comes last on the channel, after all output.
    exec.stream.destroy();
    return { exitCode: outcome.exitCode, output: output.text(), timedOut: false };
  }

  /** The machine of `ref`, when it can be reached: it exists and runs (a VM may also be paused: its console and screen connect). */
  private async reachable(ref: MachineRef, { pausedVmOk }: { pausedVmOk: boolean }): Promise<{ namespace: string; machine: MachineEntry }> {
    const caches = await this.ready();
    const namespace = kubeNamespaceName(ref.instanceId);
    const machine = machinesOf(caches.namespaces.get(undefined, namespace)).find((candidate) => candidate.name === ref.machine);
    if (!machine) throw new RuntimeError('not_found', `There is no machine "${ref.machine}" in this instance.`, { machine: ref.machine });
    const { state } = this.stateOf(namespace, machine);
    if (state === 'paused' && !(pausedVmOk && machine.type === 'vm')) throw new RuntimeError('not_running', `Machine "${ref.machine}" is paused.`, { machine: ref.machine });
    if (state !== 'running' && state !== 'paused') throw new RuntimeError('not_running', `Machine "${ref.machine}" is not running (${state}).`, { machine: ref.machine });
    return { namespace, machine };
  }

  private async connect(path: string, protocols: string[], machine: string): Promise<OpenedSocket> {
    try {
      return await this.api.websocket(path, protocols);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) throw new RuntimeError('not_running', `Machine "${machine}" is not running.`, { machine, cause: error });
      throw asRuntimeError(error, machine);
    }
  }
}

/** The five watch caches, and what they do together. */
class Caches {
  readonly all: WatchCache<KubeObject>[];
  constructor(
    readonly namespaces: WatchCache<NamespaceObject>,
    readonly pods: WatchCache<IPod & KubeObject>,
    readonly vms: WatchCache<VirtualMachine & KubeObject>,
    readonly vmis: WatchCache<VirtualMachineInstance & KubeObject>,
    readonly disks: WatchCache<DataVolume & KubeObject>,
  ) {
    this.all = [namespaces, pods, vms, vmis, disks] as WatchCache<KubeObject>[];
  }

  /** True once every cache has listed. */
  listed = false;

  get ready(): Promise<void> {
    return Promise.all(this.all.map((cache) => cache.ready)).then(() => {
      this.listed = true;
    });
  }

  close(): void {
    this.all.forEach((cache) => cache.close());
  }
}

function instanceIdOf(namespace: NamespaceObject): string {
  return namespace.metadata?.annotations?.[labelKeys.instance] ?? namespace.metadata?.labels?.[labelKeys.instance] ?? '';
}

function execPath(namespace: string, pod: string, argv: string[], { stdin, tty }: { stdin: boolean; tty: boolean }): string {
  const query = new URLSearchParams({ container: 'machine', stdout: 'true', stderr: String(!tty), stdin: String(stdin), tty: String(tty) });
  for (const arg of argv) query.append('command', arg);
  return `${pathOf(resources.pod, namespace, pod)}/exec?${query.toString()}`;
}

function asRuntimeError(error: unknown, machine?: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  if (error instanceof KubeApiError) {
    const causes = error.causes.map((cause) => `${cause.field ?? ''}: ${cause.message ?? ''}`).join('; ');
    const kind = error.status === 422 ? 'bad_plan' : error.status === 409 ? 'conflict' : error.status === 404 ? 'not_found' : error.status === 401 || error.status === 403 ? 'engine_unavailable' : 'failed';
    return new RuntimeError(kind, `The Kubernetes API refused: ${error.message}${causes && !error.message.includes(causes) ? ` (${causes})` : ''}`, { cause: error, ...(machine && { machine }) });
  }
  const message = (error as Error)?.message ?? String(error);
  return new RuntimeError('engine_unavailable', `The Kubernetes API cannot be reached: ${message}`, { cause: error, ...(machine && { machine }) });
}

