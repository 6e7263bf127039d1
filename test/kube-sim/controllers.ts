import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { ApiServer } from './api.js';
import { ApiError, apiVersionOf, resourceOfKind, type KubeObject, type ResourceType } from './resources.js';
import type { StoreEvent } from './store.js';
import { parseQuantity } from './validation.js';
import type { Workloads } from './workloads.js';

const kinds = {
  namespace: resourceOfKind('Namespace'),
  pod: resourceOfKind('Pod'),
  service: resourceOfKind('Service'),
  secret: resourceOfKind('Secret'),
  vm: resourceOfKind('VirtualMachine'),
  vmi: resourceOfKind('VirtualMachineInstance'),
  dv: resourceOfKind('DataVolume'),
  pvc: resourceOfKind('PersistentVolumeClaim'),
};

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * A container image reference as labhub's local image of the same repository path: registry host,
 * tag and digest dropped (`registry.example.com/labhub/shell:1.0` → `labhub/shell`).
 */
export function localImage(reference: string): string {
  let ref = reference.split('@')[0] ?? reference;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  return parts.join('/');
}

/** A VM disk image reference (`docker://…/labhub/tiny-disk:1`, or a containerDisk image) as the name of a local VM disk image (`tiny`). */
export function localDisk(reference: string): string | undefined {
  const match = /(?:^|\/)labhub\/([a-z0-9][a-z0-9._-]*)-disk$/.exec(localImage(reference.replace(/^(docker|oci-archive):\/\//, '')));
  return match?.[1];
}

function condition(type: string, status: boolean, reason: string, message = '', previous: Json[] = []): Json {
  const before = previous.find((c) => c.type === type);
  const value = status ? 'True' : 'False';
  return { type, status: value, ...(reason && { reason }), ...(message && { message }), lastProbeTime: null, lastTransitionTime: before && before.status === value ? before.lastTransitionTime : now() };
}

/**
 * The simulated controllers: kubelet + scheduler for Pods, KubeVirt's virt-controller/virt-handler
 * for VMs and VMIs, CDI's importer for DataVolumes, the namespace controller. One work queue; each
 * object is reconciled by one worker at a time, again whenever it (or what it depends on) changes,
 * and a sweep every second notices workloads that exited.
 */
export class Controllers {
  private readonly pending = new Map<string, { resource: ResourceType; namespace: string | undefined; name: string }>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Every reconcile in flight (close() waits for them). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Restarts of each Pod container, for CrashLoopBackOff-like spacing. */
  private readonly restarts = new Map<string, number>();

  constructor(
    private readonly api: ApiServer,
    private readonly workloads: Workloads,
  ) {}

  start(): void {
    this.unsubscribe = this.api.store.subscribe((event) => this.onEvent(event));
    for (const namespace of this.api.store.list(kinds.namespace)) this.enqueue(kinds.namespace, undefined, namespace.metadata.name ?? '');
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), 1000);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.sweeper) clearInterval(this.sweeper);
    for (const timer of this.retries) clearTimeout(timer);
    await Promise.allSettled([...this.inFlight]);
  }

  private onEvent(event: StoreEvent): void {
    const { metadata } = event.object;
    const namespace = metadata.namespace;
    this.enqueue(event.resource, namespace, metadata.name ?? '');
    for (const owner of metadata.ownerReferences ?? []) {
      if (owner.kind === 'VirtualMachine') this.enqueue(kinds.vm, namespace, owner.name);
    }
    if (event.resource === kinds.dv && namespace) {
      for (const vmi of this.api.store.list(kinds.vmi, namespace)) this.enqueue(kinds.vmi, namespace, vmi.metadata.name ?? '');
      for (const vm of this.api.store.list(kinds.vm, namespace)) this.enqueue(kinds.vm, namespace, vm.metadata.name ?? '');
    }
    if (event.resource === kinds.dv && event.type === 'DELETED' && namespace) this.workloads.dropDataVolume(namespace, metadata.name ?? '');
    // Pods wait for their claims; a deleted claim waits for the Pods that use it (kubernetes.io/pvc-protection).
    if (event.resource === kinds.pvc && namespace) for (const pod of this.api.store.list(kinds.pod, namespace)) this.enqueue(kinds.pod, namespace, pod.metadata.name ?? '');
    if (event.resource === kinds.pod && namespace) {
      for (const claim of this.api.store.list(kinds.pvc, namespace)) if (claim.metadata.deletionTimestamp) this.enqueue(kinds.pvc, namespace, claim.metadata.name ?? '');
    }
    if (event.type === 'DELETED' && namespace) this.enqueue(kinds.namespace, undefined, namespace);
    // A Pod waiting for the workload name of a VMI of the same name.
    if (event.resource === kinds.vmi && event.type === 'DELETED' && namespace) this.enqueue(kinds.pod, namespace, metadata.name ?? '');
  }

  enqueue(resource: ResourceType, namespace: string | undefined, name: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => (this.retries.delete(timer), this.enqueue(resource, namespace, name)), delayMs);
      this.retries.add(timer);
      return;
    }
    const key = `${resource.kind}/${namespace ?? ''}/${name}`;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.set(key, { resource, namespace, name });
    queueMicrotask(() => this.run(key));
  }

  private run(key: string): void {
    const item = this.pending.get(key);
    if (!item || this.running.has(key) || this.stopped) return;
    this.pending.delete(key);
    this.running.add(key);
    const work = this.reconcile(item.resource, item.namespace, item.name)
      .catch((error: unknown) => {
        if (this.stopped) return;
        // A failed reconcile is tried again, as controllers do: the cause shows in the object's status where it matters.
        if (!(error instanceof ApiError && error.code === 404)) {
          process.emitWarning(`kube-sim: reconciling ${key} failed: ${(error as Error).message}`);
          this.enqueue(item.resource, item.namespace, item.name, 2000);
        }
      })
      .finally(() => {
        this.running.delete(key);
        this.inFlight.delete(work);
        if (this.dirty.delete(key)) this.enqueue(item.resource, item.namespace, item.name);
      });
    this.inFlight.add(work);
  }

  private reconcile(resource: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    switch (resource.kind) {
      case 'Namespace':
        return this.namespace(name);
      case 'Pod':
        return this.pod(namespace ?? '', name);
      case 'VirtualMachine':
        return this.vm(namespace ?? '', name);
      case 'VirtualMachineInstance':
        return this.vmi(namespace ?? '', name);
      case 'DataVolume':
        return this.dataVolume(namespace ?? '', name);
      case 'PersistentVolumeClaim':
        return this.claim(namespace ?? '', name);
      default:
        return Promise.resolve();
    }
  }

  /** Notices Pods and VMIs whose workloads stopped running behind the API's back (exited, crashed). */
  private async sweep(): Promise<void> {
    const watched = [...this.api.store.list(kinds.pod), ...this.api.store.list(kinds.vmi)].filter((object) => ['Running', 'Scheduled'].includes(record(object.status).phase as string));
    if (watched.length === 0) return;
    const states = await this.workloads.listStates();
    for (const object of watched) {
      const key = `${object.metadata.namespace}/${object.metadata.name}`;
      if (!states.get(key)?.running) this.enqueue(object.kind === 'Pod' ? kinds.pod : kinds.vmi, object.metadata.namespace, object.metadata.name ?? '');
    }
  }

  private setStatus(resource: ResourceType, object: KubeObject, status: Json): KubeObject {
    const current = this.api.store.get(resource, object.metadata.namespace, object.metadata.name ?? '');
    if (!current || current.metadata.uid !== object.metadata.uid) throw new ApiError(404, 'NotFound', 'gone');
    return this.api.store.update(resource, { ...current, status });
  }

  // ---- Namespaces ----

  private async namespace(name: string): Promise<void> {
    const namespace = this.api.store.get(kinds.namespace, undefined, name);
    if (!namespace?.metadata.deletionTimestamp) return;
    const contents = this.api.store.inNamespace(name);
    for (const { resource, object } of contents) {
      if (!object.metadata.deletionTimestamp) this.api.delete(resource, name, object.metadata.name ?? '');
    }
    const left = this.api.store.inNamespace(name);
    this.setStatus(kinds.namespace, namespace, {
      phase: 'Terminating',
      conditions: [condition('NamespaceContentRemaining', left.length > 0, left.length > 0 ? 'SomeResourcesRemain' : 'ContentRemoved', left.length > 0 ? `Some resources are remaining: ${left.length} objects` : 'All content successfully removed', list(record(namespace.status).conditions))],
    });
    if (left.length > 0) return;
    await this.workloads.removeNamespace(name);
    this.api.finalize(kinds.namespace, undefined, name);
  }

  // ---- PersistentVolumeClaims: a directory each, bound at once ----

  private async claim(namespace: string, name: string): Promise<void> {
    const claim = this.api.store.get(kinds.pvc, namespace, name);
    if (!claim) return;
    if (claim.metadata.deletionTimestamp) {
      const inUse = this.api.store.list(kinds.pod, namespace).some((pod) => list(record(pod.spec).volumes).some((volume) => record(volume.persistentVolumeClaim).claimName === name));
      if (inUse) return;
      this.workloads.dropClaim(namespace, name);
      this.api.finalize(kinds.pvc, namespace, name);
      return;
    }
    if (record(claim.status).phase === 'Bound') return;
    const spec = record(claim.spec);
    this.workloads.claimDir(namespace, name);
    this.setStatus(kinds.pvc, claim, { phase: 'Bound', accessModes: spec.accessModes, capacity: { storage: record(record(spec.resources).requests).storage ?? '1Gi' } });
  }

  /** Host directories for the container's volumeMounts, or why the Pod cannot start yet. */
  private mounts(namespace: string, pod: string, spec: Json, container: Json): { mounts: { hostPath: string; mountPath: string; readOnly: boolean }[] } | { waiting: string } {
    const volumes = new Map(list(spec.volumes).map((volume) => [String(volume.name), volume]));
    const mounts: { hostPath: string; mountPath: string; readOnly: boolean }[] = [];
    for (const mount of list(container.volumeMounts)) {
      const volume = volumes.get(String(mount.name)) ?? {};
      let hostPath: string;
      if (volume.persistentVolumeClaim) {
        const claimName = String(record(volume.persistentVolumeClaim).claimName);
        const claim = this.api.store.get(kinds.pvc, namespace, claimName);
        if (!claim) return { waiting: `persistentvolumeclaim "${claimName}" not found` };
        if (claim.metadata.deletionTimestamp) return { waiting: `persistentvolumeclaim "${claimName}" is being deleted` };
        if (record(claim.status).phase !== 'Bound') return { waiting: `pod has unbound immediate PersistentVolumeClaims` };
        hostPath = this.workloads.claimDir(namespace, claimName);
      } else if (volume.emptyDir) {
        hostPath = this.workloads.emptyDir(namespace, pod, String(mount.name));
      } else continue;
      if (typeof mount.subPath === 'string' && mount.subPath) {
        hostPath = `${hostPath}/${mount.subPath.replace(/\.\.(\/|$)/g, '')}`;
        mkdirSync(hostPath, { recursive: true });
      }
      mounts.push({ hostPath, mountPath: String(mount.mountPath), readOnly: mount.readOnly === true });
    }
    return { mounts };
  }

  // ---- Pods ----

  private services(namespace: string, labels: Record<string, string>): string[] {
    return this.api.store
      .list(kinds.service, namespace)
      .filter((service) => {
        const selector = record(service.spec).selector as Record<string, string> | undefined;
        return selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
      })
      .map((service) => service.metadata.name ?? '');
  }

  private env(namespace: string, container: Json): Record<string, string> {
    const env: Record<string, string> = {};
    for (const entry of list(container.env)) {
      const ref = record(record(entry.valueFrom).secretKeyRef);
      if (entry.value !== undefined) env[String(entry.name)] = String(entry.value);
      else if (ref.name) {
        const secret = this.api.store.get(kinds.secret, namespace, String(ref.name));
        const data = record(secret?.data)[String(ref.key)];
        if (typeof data === 'string') env[String(entry.name)] = Buffer.from(data, 'base64').toString('utf8');
      }
    }
    return env;
  }

  private async pod(namespace: string, name: string): Promise<void> {
    const pod = this.api.store.get(kinds.pod, namespace, name);
    if (!pod) return;
    if (pod.metadata.deletionTimestamp) {
      await this.workloads.removeWorkload(namespace, name);
      this.workloads.dropEmptyDirs(namespace, name);
      this.restarts.delete(`${namespace}/${name}`);
      this.api.finalize(kinds.pod, namespace, name);
      return;
    }
    const status = record(pod.status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return;
    const spec = record(pod.spec);
    const container = list(spec.containers)[0] ?? {};
    const state = await this.workloads.state(namespace, name);
    const base = (phase: string, ready: boolean, containerState: Json, extra: Json = {}): Json => ({
      ...status,
      phase,
      conditions: [
        condition('PodScheduled', true, '', '', list(status.conditions)),
        condition('Initialized', true, '', '', list(status.conditions)),
        condition('ContainersReady', ready, ready ? '' : 'ContainersNotReady', '', list(status.conditions)),
        condition('Ready', ready, ready ? '' : 'ContainersNotReady', '', list(status.conditions)),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      startTime: status.startTime ?? now(),
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: '',
          ready,
          started: ready,
          restartCount: this.restarts.get(`${namespace}/${name}`) ?? 0,
          state: containerState,
          ...(state && { containerID: `podman://${state.id}` }),
        },
      ],
      ...extra,
    });
    if (!state) {
      if (status.phase === 'Running') {
        this.setStatus(kinds.pod, pod, base('Failed', false, { terminated: { exitCode: 137, reason: 'ContainerGone', message: 'the container is gone' } }));
        return;
      }
      // Each outcome writes one status, the same each time, so that reconciling again changes nothing.
      const volumes = this.api.store.get(kinds.vmi, namespace, name) ? { waiting: `kube-sim runs a Pod and a VMI of the same name (${name}) in one workload only: the VMI has it` } : this.mounts(namespace, name, spec, container);
      if ('waiting' in volumes) {
        // Unschedulable until the claim is there: its events bring the Pod back.
        this.setStatus(kinds.pod, pod, { ...status, phase: 'Pending', conditions: [condition('PodScheduled', false, 'Unschedulable', volumes.waiting, list(status.conditions))] });
        return;
      }
      if (!spec.nodeName) this.api.store.update(kinds.pod, { ...pod, spec: { ...spec, nodeName: 'kube-sim' } });
      const image = localImage(String(container.image));
      try {
        await this.workloads.images.ensure(image, () => {});
      } catch (error) {
        const message = `kube-sim runs the local image "${image}" for "${String(container.image)}": ${(error as Error).message}`;
        this.setStatus(kinds.pod, this.api.store.mustGet(kinds.pod, namespace, name), base('Pending', false, { waiting: { reason: 'ErrImagePull', message } }));
        this.enqueue(kinds.pod, namespace, name, 10_000);
        return;
      }
      const labels = pod.metadata.labels ?? {};
      const hostname = String(spec.hostname ?? name);
      const resources = record(container.resources);
      const memory = parseQuantity(record(resources.limits).memory);
      const cpu = parseQuantity(record(resources.limits).cpu);
      const capabilities = record(record(container.securityContext).capabilities);
      await this.workloads.startPod({
        namespace,
        name,
        image,
        hostname,
        aliases: [...new Set([hostname, name, ...this.services(namespace, labels)])],
        labels,
        env: this.env(namespace, container),
        ...(Array.isArray(container.command) && { command: container.command as string[] }),
        ...(Array.isArray(container.args) && { args: container.args as string[] }),
        ...(memory !== undefined && { memoryBytes: Math.round(memory) }),
        ...(cpu !== undefined && { cpuMillis: cpu * 1000 }),
        capAdd: list(capabilities.add).map(String),
        privileged: record(container.securityContext).privileged === true,
        mounts: volumes.mounts,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      return this.pod(namespace, name);
    }
    if (state.running) {
      if (status.phase === 'Running' && record(list(status.containerStatuses)[0]).ready === true) return;
      this.setStatus(kinds.pod, pod, base('Running', true, { running: { startedAt: now() } }, { podIP: state.ip, podIPs: state.ip ? [{ ip: state.ip }] : [] }));
      return;
    }
    // The container exited.
    const policy = spec.restartPolicy ?? 'Always';
    const key = `${namespace}/${name}`;
    if (policy === 'Always' || (policy === 'OnFailure' && state.exitCode !== 0)) {
      const count = (this.restarts.get(key) ?? 0) + 1;
      this.restarts.set(key, count);
      this.setStatus(kinds.pod, pod, base('Running', false, { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${String(container.name)}` } }, { podIP: status.podIP, podIPs: status.podIPs }));
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** Math.min(count - 1, 4))));
      if (!this.api.store.get(kinds.pod, namespace, name)?.metadata.deletionTimestamp) await this.workloads.restart(namespace, name).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      this.enqueue(kinds.pod, namespace, name);
      return;
    }
    const terminated = { terminated: { exitCode: state.exitCode, reason: state.exitCode === 0 ? 'Completed' : 'Error', finishedAt: now() } };
    this.setStatus(kinds.pod, pod, base(state.exitCode === 0 ? 'Succeeded' : 'Failed', false, terminated, { podIP: status.podIP, podIPs: status.podIPs }));
  }

  // ---- DataVolumes (CDI's importer) ----

  private async dataVolume(namespace: string, name: string): Promise<void> {
    let dv = this.api.store.get(kinds.dv, namespace, name);
    if (!dv) return;
    const status = record(dv.status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return;
    const spec = record(dv.spec);
    const source = record(spec.source);
    const conditions = (bound: boolean, ready: boolean, running: boolean, reason: string, message = '') => [
      condition('Bound', bound, bound ? 'Bound' : 'Pending', '', list(status.conditions)),
      condition('Ready', ready, reason, '', list(status.conditions)),
      condition('Running', running, reason, message, list(status.conditions)),
    ];
    const fail = (message: string) => this.setStatus(kinds.dv, dv as KubeObject, { phase: 'Failed', progress: 'N/A', claimName: name, conditions: conditions(true, false, false, 'Error', message) });
    if (source.blank !== undefined) {
      this.setStatus(kinds.dv, dv, { phase: 'Succeeded', progress: '100.0%', claimName: name, conditions: conditions(true, true, false, 'Completed') });
      return;
    }
    const registry = record(source.registry);
    if (source.registry === undefined) {
      const kind = Object.keys(source)[0] ?? (spec.sourceRef ? 'sourceRef' : 'unknown');
      fail(`kube-sim does not fetch ${kind} sources (a limit of the test double): only registry sources of labhub's VM disk images are imported`);
      return;
    }
    const disk = localDisk(String(registry.url));
    if (!disk) {
      fail(`kube-sim imports only registry images named …/labhub/<disk>-disk (labhub's local VM disk images); "${String(registry.url)}" is none`);
      return;
    }
    dv = this.setStatus(kinds.dv, dv, { phase: 'ImportScheduled', progress: 'N/A', claimName: name, conditions: conditions(true, false, false, 'ImportScheduled') });
    dv = this.setStatus(kinds.dv, dv, { phase: 'ImportInProgress', progress: '0.00%', claimName: name, conditions: conditions(true, false, true, 'Pending') });
    try {
      const base = await this.workloads.baseDisk(disk, () => {});
      const storage = record(spec.storage ?? spec.pvc);
      const size = parseQuantity(record(record(storage.resources).requests).storage);
      await this.workloads.disks.ensureOverlay(this.workloads.dataVolumeDisk(namespace, name), base, name, size === undefined ? undefined : Math.round(size));
    } catch (error) {
      fail(`Unable to import "${String(registry.url)}": ${(error as Error).message}`);
      return;
    }
    if (!this.api.store.get(kinds.dv, namespace, name)) {
      this.workloads.dropDataVolume(namespace, name);
      return;
    }
    this.setStatus(kinds.dv, dv, { phase: 'Succeeded', progress: '100.0%', claimName: name, conditions: conditions(true, true, false, 'Completed') });
  }

  // ---- VirtualMachines (virt-controller) ----

  private async vm(namespace: string, name: string): Promise<void> {
    const vm = this.api.store.get(kinds.vm, namespace, name);
    if (!vm) return;
    const spec = record(vm.spec);
    const status = record(vm.status);
    const owner = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name, uid: vm.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
    for (const template of list(spec.dataVolumeTemplates)) {
      const metadata = record(template.metadata);
      if (this.api.store.get(kinds.dv, namespace, String(metadata.name))) continue;
      this.api.create(kinds.dv, namespace, { apiVersion: apiVersionOf(kinds.dv), kind: 'DataVolume', metadata: { ...metadata, namespace, ownerReferences: [owner] }, spec: template.spec });
    }
    const strategy = String(spec.runStrategy ?? (spec.running === true ? 'Always' : 'Halted'));
    let vmi = this.api.store.get(kinds.vmi, namespace, name);
    if (vmi && !vmi.metadata.ownerReferences?.some((ref) => ref.uid === vm.metadata.uid)) vmi = undefined;
    const phase = record(vmi?.status).phase as string | undefined;
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const requests = list(status.stateChangeRequests);
    const requested = requests.at(-1)?.action as string | undefined;
    let desired: boolean;
    switch (strategy) {
      case 'Always':
        desired = true;
        break;
      case 'RerunOnFailure':
        desired = phase !== 'Succeeded';
        break;
      case 'Once':
        desired = !finished;
        break;
      case 'Manual':
        desired = requested === 'Start' ? true : requested === 'Stop' ? false : Boolean(vmi) && !finished;
        break;
      default:
        desired = false;
    }
    if (requested === 'Stop' && strategy !== 'Manual') desired = false;
    let message = '';
    let printable: string;
    if (desired) {
      if (vmi && finished && !vmi.metadata.deletionTimestamp && (strategy === 'Always' || strategy === 'RerunOnFailure' || requested === 'Start')) this.api.delete(kinds.vmi, namespace, name);
      if (!vmi) {
        const volumes = list(record(record(spec.template).spec).volumes);
        const dataVolumes = volumes.map((volume) => record(volume.dataVolume).name ?? record(volume.persistentVolumeClaim).claimName).filter((dv): dv is string => typeof dv === 'string');
        const states = dataVolumes.map((dv) => record(this.api.store.get(kinds.dv, namespace, dv)?.status).phase as string | undefined);
        if (states.includes('Failed')) {
          printable = 'DataVolumeError';
          message = 'a DataVolume of the VM failed';
        } else if (states.some((state) => state !== 'Succeeded')) {
          printable = 'Provisioning';
        } else {
          const template = record(spec.template);
          const metadata = record(template.metadata);
          this.api.create(kinds.vmi, namespace, {
            apiVersion: 'kubevirt.io/v1',
            kind: 'VirtualMachineInstance',
            metadata: { name, namespace, labels: metadata.labels ?? {}, ...(metadata.annotations !== undefined && { annotations: metadata.annotations }), ownerReferences: [owner] },
            spec: template.spec,
          });
          printable = 'Starting';
        }
      } else printable = printableOf(vmi);
    } else {
      if (vmi && !finished && !vmi.metadata.deletionTimestamp) {
        this.api.delete(kinds.vmi, namespace, name);
        vmi = this.api.store.get(kinds.vmi, namespace, name);
      }
      printable = vmi ? printableOf(vmi) : 'Stopped';
    }
    const vmiStatus = record(vmi?.status);
    const ready = Boolean(vmi && list(vmiStatus.conditions).some((c) => c.type === 'Ready' && c.status === 'True'));
    const paused = Boolean(vmi && list(vmiStatus.conditions).some((c) => c.type === 'Paused' && c.status === 'True'));
    const conditions = [
      condition('Ready', ready, ready ? '' : vmi ? 'GuestNotReady' : 'VMINotExists', ready ? '' : vmi ? 'The guest has not booted yet' : 'VMI does not exist', list(status.conditions)),
      ...(paused ? [condition('Paused', true, 'PausedByUser', 'VMI was paused by user', list(status.conditions))] : []),
      ...(message ? [condition('Failure', true, 'FailedCreate', message, list(status.conditions))] : []),
    ];
    const next: Json = {
      printableStatus: printable,
      ready,
      created: Boolean(vmi),
      conditions,
      runStrategy: strategy,
      observedGeneration: vm.metadata.generation,
      desiredGeneration: vm.metadata.generation,
      volumeSnapshotStatuses: list(record(record(spec.template).spec).volumes).map((volume) => ({ name: volume.name, enabled: false, reason: 'kube-sim takes no snapshots' })),
    };
    this.api.store.update(kinds.vm, { ...this.api.store.mustGet(kinds.vm, namespace, name), status: next });
  }

  // ---- VirtualMachineInstances (virt-handler) ----

  private async vmi(namespace: string, name: string): Promise<void> {
    const vmi = this.api.store.get(kinds.vmi, namespace, name);
    if (!vmi) return;
    if (vmi.metadata.deletionTimestamp) {
      const grace = Math.min(30, Number(vmi.metadata.deletionGracePeriodSeconds ?? 30)) * 1000;
      await this.workloads.powerOffVmi(namespace, name, grace);
      this.workloads.dropVmiFiles(namespace, name);
      this.api.finalize(kinds.vmi, namespace, name);
      return;
    }
    const status = record(vmi.status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return;
    const state = await this.workloads.state(namespace, name);
    if (state?.running) return;
    if (state && !state.running) {
      const why = state.exitCode === 0 ? 'the guest powered off' : ((await this.workloads.launcherError(namespace, name)) ?? `the launcher exited with code ${state.exitCode}`);
      this.setStatus(kinds.vmi, vmi, { ...status, phase: state.exitCode === 0 ? 'Succeeded' : 'Failed', reason: why, conditions: [condition('Ready', false, 'PodTerminating', why, list(status.conditions))] });
      return;
    }
    if (status.phase === 'Running' || status.phase === 'Scheduled') {
      this.setStatus(kinds.vmi, vmi, { ...status, phase: 'Failed', reason: 'the launcher is gone', conditions: [condition('Ready', false, 'PodTerminating', 'the launcher is gone', list(status.conditions))] });
      return;
    }
    await this.startVmi(vmi);
  }

  private async startVmi(original: KubeObject): Promise<void> {
    const namespace = original.metadata.namespace ?? '';
    const name = original.metadata.name ?? '';
    const spec = record(original.spec);
    const domain = record(spec.domain);
    const status = record(original.status);
    const fail = (message: string) => this.setStatus(kinds.vmi, original, { ...status, phase: 'Failed', reason: message, conditions: [condition('Ready', false, 'FailedCreate', message, list(status.conditions))] });
    const volumes = new Map(list(spec.volumes).map((volume) => [String(volume.name), volume]));
    const disks = list(record(domain.devices).disks);
    // The boot disk: the first disk (by bootOrder, then order) backed by a containerDisk, a DataVolume or its PVC.
    const bootable = disks
      .map((disk, index) => ({ disk, index, volume: volumes.get(String(disk.name)) }))
      .filter(({ volume }) => volume && (volume.containerDisk || volume.dataVolume || volume.persistentVolumeClaim))
      .sort((a, b) => Number(a.disk.bootOrder ?? 1000 + a.index) - Number(b.disk.bootOrder ?? 1000 + b.index));
    const volume = bootable[0]?.volume;
    if (this.api.store.get(kinds.pod, namespace, name)) return void fail(`kube-sim runs a Pod and a VMI of the same name (${name}) in one workload only: the Pod has it`);
    if (!volume) return void fail('kube-sim boots a VMI from a containerDisk, dataVolume or persistentVolumeClaim volume behind one of its disks; this VMI has none');
    if (!volume.containerDisk) {
      const claim = String(record(volume.dataVolume).name ?? record(volume.persistentVolumeClaim).claimName);
      if (record(this.api.store.get(kinds.dv, namespace, claim)?.status).phase !== 'Succeeded') {
        // Waits for the DataVolume (the same status every time): its events bring this VMI back.
        this.setStatus(kinds.vmi, original, { ...status, phase: 'Pending', conditions: [condition('Ready', false, 'DataVolumeNotReady', `waiting for DataVolume ${claim}`, list(status.conditions))] });
        return;
      }
    }
    const vmi = this.setStatus(kinds.vmi, original, { ...status, phase: 'Scheduling', conditions: [condition('Ready', false, 'GuestNotRunning', 'Guest VM is not reported as running', list(status.conditions))] });
    let base;
    let overlay: string;
    try {
      if (volume.containerDisk) {
        const image = String(record(volume.containerDisk).image);
        const disk = localDisk(image);
        if (!disk) return void fail(`kube-sim runs only containerDisk images named …/labhub/<disk>-disk (labhub's local VM disk images); "${image}" is none`);
        base = await this.workloads.prepareVm(disk, () => {});
        overlay = await this.workloads.freshOverlay(namespace, name, base);
      } else {
        const claim = String(record(volume.dataVolume).name ?? record(volume.persistentVolumeClaim).claimName);
        overlay = this.workloads.dataVolumeDisk(namespace, claim);
        const recorded = existsSync(`${overlay}.base`) ? (JSON.parse(readFileSync(`${overlay}.base`, 'utf8')) as { image: string }).image : undefined;
        if (!recorded || !existsSync(overlay)) return void fail(`DataVolume ${claim} has no disk (kube-sim imports only registry sources of labhub's VM disk images)`);
        base = await this.workloads.prepareVm(recorded, () => {});
      }
      const kernelImage = record(record(record(domain.firmware).kernelBoot).container).image;
      if (typeof kernelImage === 'string') {
        const kernelDisk = localDisk(kernelImage);
        if (!kernelDisk) return void fail(`kube-sim takes kernelBoot kernels only from images named …/labhub/<disk>-disk; "${kernelImage}" is none`);
        const kernelBase = await this.workloads.baseDisk(kernelDisk, () => {});
        base = { ...base, ...(kernelBase.kernel && { kernel: kernelBase.kernel }), ...(kernelBase.initrd && { initrd: kernelBase.initrd }) };
      }
    } catch (error) {
      return void fail((error as Error).message);
    }
    const resources = record(domain.resources);
    const memory = parseQuantity(record(domain.memory).guest) ?? parseQuantity(record(resources.requests).memory) ?? parseQuantity(record(resources.limits).memory) ?? 128 * 2 ** 20;
    const cpu = record(domain.cpu);
    const cores = domain.cpu ? Number(cpu.cores ?? 1) * Number(cpu.sockets ?? 1) * Number(cpu.threads ?? 1) : Math.max(1, Math.ceil(parseQuantity(record(resources.requests).cpu) ?? 1));
    const cloudInit = [...volumes.values()].map((v) => record(v.cloudInitNoCloud)).find((c) => Object.keys(c).length > 0);
    let userData: string | undefined;
    if (cloudInit) {
      if (typeof cloudInit.userData === 'string') userData = cloudInit.userData;
      else if (typeof cloudInit.userDataBase64 === 'string') userData = Buffer.from(cloudInit.userDataBase64, 'base64').toString('utf8');
      else if (cloudInit.secretRef) {
        const secret = this.api.store.get(kinds.secret, namespace, String(record(cloudInit.secretRef).name));
        const data = record(secret?.data);
        const encoded = data.userdata ?? data.userData;
        if (typeof encoded !== 'string') return void fail(`the cloud-init secret ${String(record(cloudInit.secretRef).name)} has no userdata`);
        userData = Buffer.from(encoded, 'base64').toString('utf8');
      }
    }
    const labels = vmi.metadata.labels ?? {};
    const hostname = String(spec.hostname ?? name);
    const kernelArgs = record(record(domain.firmware).kernelBoot).kernelArgs;
    try {
      await this.workloads.startVmi({
        namespace,
        name,
        hostname,
        aliases: [...new Set([hostname, name, ...this.services(namespace, labels)])],
        labels,
        memoryBytes: Math.round(memory),
        cpuMillis: cores * 1000,
        base,
        overlay,
        ...(userData !== undefined && { userData }),
        ...(typeof kernelArgs === 'string' && kernelArgs && { kernelArgs }),
      });
    } catch (error) {
      return void fail(`the launcher did not start: ${(error as Error).message}`);
    }
    const state = await this.workloads.state(namespace, name);
    const current = this.api.store.get(kinds.vmi, namespace, name);
    if (!current || current.metadata.uid !== vmi.metadata.uid) return;
    const running = this.setStatus(kinds.vmi, current, {
      ...record(current.status),
      phase: 'Running',
      nodeName: 'kube-sim',
      guestOSInfo: {},
      interfaces: [{ name: 'default', interfaceName: 'eth0', infoSource: 'domain', ...(state?.ip && { ipAddress: state.ip, ipAddresses: [state.ip] }) }],
      conditions: [condition('Ready', false, 'GuestNotBooted', 'The guest has not booted yet', list(record(current.status).conditions))],
      activePods: {},
      migrationMethod: 'BlockMigration',
      qosClass: 'Burstable',
    });
    // The guest boots on its own time: the VMI becomes Ready once its serial console spoke (a readiness probe's stand-in).
    void this.workloads
      .waitForGuest(namespace, name)
      .then(() => {
        const latest = this.api.store.get(kinds.vmi, namespace, name);
        if (!latest || latest.metadata.uid !== running.metadata.uid || latest.metadata.deletionTimestamp) return;
        const latestStatus = record(latest.status);
        const others = list(latestStatus.conditions).filter((c) => c.type !== 'Ready');
        this.setStatus(kinds.vmi, latest, { ...latestStatus, conditions: [condition('Ready', true, '', '', list(latestStatus.conditions)), ...others] });
      })
      .catch(() => this.enqueue(kinds.vmi, namespace, name));
  }

  /** QMP stop/cont behind the pause and unpause subresources; the Paused condition follows. */
  async setPaused(vmi: KubeObject, paused: boolean): Promise<void> {
    const namespace = vmi.metadata.namespace ?? '';
    const name = vmi.metadata.name ?? '';
    await this.workloads.qmp(namespace, name, (qmp) => qmp.execute(paused ? 'stop' : 'cont'));
    const latest = this.api.store.mustGet(kinds.vmi, namespace, name);
    const status = record(latest.status);
    const others = list(status.conditions).filter((c) => c.type !== 'Paused');
    this.setStatus(kinds.vmi, latest, { ...status, conditions: [...others, ...(paused ? [condition('Paused', true, 'PausedByUser', 'VMI was paused by user')] : [])] });
  }
}

function printableOf(vmi: KubeObject): string {
  const status = record(vmi.status);
  if (vmi.metadata.deletionTimestamp) return 'Stopping';
  switch (status.phase) {
    case 'Running':
      return list(status.conditions).some((c) => c.type === 'Paused' && c.status === 'True') ? 'Paused' : 'Running';
    case 'Succeeded':
      return 'Stopped';
    case 'Failed':
      return 'CrashLoopBackOff';
    default:
      return 'Starting';
  }
}
