import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { connectEngine, containerUlimits } from '../../src/server/runtime/local/engine.js';
import { ImageBuilder } from '../../src/server/runtime/local/images.js';
import { connectInNamespace, type NamespaceTarget } from '../../src/server/runtime/local/port-relay.js';
import { probeAccel } from '../../src/server/runtime/local/vm/accel.js';
import { VmDisks, type BaseDisk } from '../../src/server/runtime/local/vm/disks.js';
import { launcherImage, launcherSpec, vmChannels, type Accel } from '../../src/server/runtime/local/vm/launcher.js';
import { lastLauncherError, waitForBoot } from '../../src/server/runtime/local/vm/launcher-log.js';
import { QmpClient } from '../../src/server/runtime/local/vm/qmp.js';
import { writeSeed } from '../../src/server/runtime/local/vm/seed.js';

/** Labels on every engine object kube-sim makes: which simulator, which namespace, which object. */
export const simLabels = { sim: 'kube-sim.io/sim', namespace: 'kube-sim.io/namespace', name: 'kube-sim.io/name', kind: 'kube-sim.io/kind' } as const;

export interface PodWorkload {
  namespace: string;
  name: string;
  image: string;
  hostname: string;
  aliases: string[];
  labels: Record<string, string>;
  env: Record<string, string>;
  command?: string[];
  args?: string[];
  memoryBytes?: number;
  cpuMillis?: number;
  capAdd: string[];
  privileged: boolean;
  /** Host directories mounted into the container (PersistentVolumeClaims, emptyDirs). */
  mounts: { hostPath: string; mountPath: string; readOnly: boolean }[];
}

export interface VmiWorkload {
  namespace: string;
  name: string;
  hostname: string;
  aliases: string[];
  labels: Record<string, string>;
  memoryBytes: number;
  cpuMillis: number;
  base: BaseDisk;
  /** The qcow2 overlay the VM writes to (a DataVolume's, kept; or a fresh one for a containerDisk). */
  overlay: string;
  userData?: string;
  /** The kernel command line of a direct kernel boot (`kernelBoot.kernelArgs`). */
  kernelArgs?: string;
}

/** The state of an engine container, as the controllers need it. */
export interface ContainerState {
  running: boolean;
  paused: boolean;
  exitCode: number;
  pid: number;
  ip: string | undefined;
  id: string;
}

/**
 * The real workloads behind Pods and VMIs: Podman containers through the Docker-compatible API,
 * one private network per namespace, VM launchers (QEMU in labhub/vm-launcher) from the local
 * runtime. Names are kube-sim's own: `ks-<sim>.<namespace>.<name>` (containers) and
 * `ks-<sim>.<namespace>` (networks).
 */
export class Workloads {
  private engine: Promise<Docker> | undefined;
  readonly images: ImageBuilder;
  readonly disks: VmDisks;
  private accel: Promise<Accel> | undefined;

  constructor(
    private readonly engineSocket: string,
    private readonly dataDir: string,
    readonly simId: string,
  ) {
    this.images = new ImageBuilder(() => this.docker(), dataDir);
    this.disks = new VmDisks(dataDir);
  }

  docker(): Promise<Docker> {
    this.engine ??= connectEngine(this.engineSocket, { start: true }).catch((error: unknown) => {
      this.engine = undefined;
      throw error;
    });
    return this.engine;
  }

  containerName(namespace: string, name: string): string {
    return `ks-${this.simId}.${namespace}.${name}`;
  }

  networkName(namespace: string): string {
    return `ks-${this.simId}.${namespace}`;
  }

  /** kube-sim's files: `<dataDir>/kube-sim/<sim>/…` (hosts files, VMI overlays, DataVolume disks). */
  dir(...parts: string[]): string {
    const dir = path.join(this.dataDir, 'kube-sim', this.simId, ...parts);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  dataVolumeDisk(namespace: string, name: string): string {
    return path.join(this.dir('datavolumes', namespace, name), 'disk.qcow2');
  }

  /** The directory behind a PersistentVolumeClaim: kept until the claim is deleted. */
  claimDir(namespace: string, name: string): string {
    return this.dir('volumes', namespace, name);
  }

  dropClaim(namespace: string, name: string): void {
    rmSync(path.join(this.dataDir, 'kube-sim', this.simId, 'volumes', namespace, name), { recursive: true, force: true });
  }

  /** An emptyDir of a Pod: it lives as long as the Pod. */
  emptyDir(namespace: string, pod: string, volume: string): string {
    return this.dir('emptydirs', namespace, pod, volume);
  }

  dropEmptyDirs(namespace: string, pod: string): void {
    rmSync(path.join(this.dataDir, 'kube-sim', this.simId, 'emptydirs', namespace, pod), { recursive: true, force: true });
  }

  dropDataVolume(namespace: string, name: string): void {
    rmSync(path.join(this.dataDir, 'kube-sim', this.simId, 'datavolumes', namespace, name), { recursive: true, force: true });
  }

  private readonly networks = new Map<string, Promise<string>>();

  /** The namespace's network: internal (no way out) and isolated from every other network. One creation at a time per namespace. */
  ensureNetwork(namespace: string): Promise<string> {
    let network = this.networks.get(namespace);
    if (!network) {
      network = this.createNetwork(namespace).finally(() => this.networks.delete(namespace));
      this.networks.set(namespace, network);
    }
    return network;
  }

  private async createNetwork(namespace: string): Promise<string> {
    const docker = await this.docker();
    const name = this.networkName(namespace);
    const exists = await docker
      .getNetwork(name)
      .inspect()
      .then(
        () => true,
        (error: { statusCode?: number }) => (error.statusCode === 404 ? false : Promise.reject(error)),
      );
    if (!exists) {
      await docker
        .createNetwork({ Name: name, Internal: true, Labels: { [simLabels.sim]: this.simId, [simLabels.namespace]: namespace }, Options: { isolate: 'true' } })
        .catch((error: { statusCode?: number; message?: string }) => {
          // Podman answers a network that exists with 500 "… already used".
          if (error.statusCode !== 409 && !/already (used|exists)/.test(error.message ?? '')) throw error;
        });
    }
    return name;
  }

  private hostsFile(namespace: string, name: string): string {
    const file = path.join(this.dir('hosts', namespace), name);
    // Podman would copy the host's /etc/hosts (which may map peer names to 127.0.0.1): peers resolve by the network's DNS instead.
    writeFileSync(file, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    return file;
  }

  private labels(namespace: string, name: string, kind: string, own: Record<string, string>): Record<string, string> {
    return { ...own, [simLabels.sim]: this.simId, [simLabels.namespace]: namespace, [simLabels.name]: name, [simLabels.kind]: kind };
  }

  /** Creates and starts a Pod's container (its first container: see README). */
  async startPod(pod: PodWorkload): Promise<void> {
    const docker = await this.docker();
    const network = await this.ensureNetwork(pod.namespace);
    const name = this.containerName(pod.namespace, pod.name);
    await this.remove(name);
    await docker.createContainer({
      name,
      Image: pod.image,
      Hostname: pod.hostname,
      Labels: this.labels(pod.namespace, pod.name, 'Pod', pod.labels),
      Env: Object.entries(pod.env).map(([key, value]) => `${key}=${value}`),
      ...(pod.command && { Entrypoint: pod.command }),
      ...(pod.args && { Cmd: pod.args }),
      HostConfig: {
        NetworkMode: network,
        ...(pod.cpuMillis && { NanoCpus: Math.round(pod.cpuMillis * 1_000_000) }),
        ...(pod.memoryBytes && { Memory: pod.memoryBytes, MemorySwap: pod.memoryBytes }),
        PidsLimit: 2048,
        Ulimits: containerUlimits(),
        // The capabilities a container runtime gives by default include NET_RAW (Podman 4 drops it).
        CapAdd: ['NET_RAW', ...pod.capAdd],
        Privileged: pod.privileged,
        Binds: [`${this.hostsFile(pod.namespace, pod.name)}:/etc/hosts:ro`, ...pod.mounts.map((mount) => `${mount.hostPath}:${mount.mountPath}${mount.readOnly ? ':ro' : ''}`)],
        RestartPolicy: { Name: 'no' },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: pod.aliases } } },
    });
    await docker.getContainer(name).start();
  }

  /** Restarts a Pod container that exited (restartPolicy Always/OnFailure): the same container, its files kept. */
  async restart(namespace: string, name: string): Promise<void> {
    const docker = await this.docker();
    await docker.getContainer(this.containerName(namespace, name)).start();
  }

  /** The VM launcher image, a disk image (built on first use when it is labhub's own) and the acceleration. */
  async prepareVm(diskImage: string, onProgress: (message: string) => void): Promise<BaseDisk> {
    await this.images.ensure(launcherImage, onProgress);
    const base = await this.images.ensureDisk(diskImage, onProgress, diskImage);
    await this.acceleration();
    return base;
  }

  /** A base disk when it is there or can be built; undefined for a name that is not a disk image here. */
  async baseDisk(diskImage: string, onProgress: (message: string) => void): Promise<BaseDisk> {
    return this.images.ensureDisk(diskImage, onProgress, diskImage);
  }

  acceleration(): Promise<Accel> {
    this.accel ??= (async () => {
      const kernel = (await this.images.ensureDisk('tiny', () => {}, 'tiny')).kernel;
      return (await probeAccel(await this.docker(), kernel)).accel;
    })().catch((error: unknown) => {
      this.accel = undefined;
      throw error;
    });
    return this.accel;
  }

  /** Creates and starts a VMI's launcher; resolves once QEMU runs (not once the guest booted: see waitForGuest). */
  async startVmi(vmi: VmiWorkload): Promise<void> {
    const docker = await this.docker();
    const network = await this.ensureNetwork(vmi.namespace);
    const name = this.containerName(vmi.namespace, vmi.name);
    await this.remove(name);
    const accel = await this.acceleration();
    const seedDir = path.join(this.dir('vmis', vmi.namespace, vmi.name), 'seed');
    if (vmi.userData !== undefined) writeSeed(seedDir, vmi.namespace, vmi.name, vmi.userData);
    const files = { hostsFile: this.hostsFile(vmi.namespace, vmi.name), overlay: vmi.overlay, imagesDir: this.disks.imagesDir, ...(vmi.userData !== undefined && { seedDir }) };
    // The local runtime's launcher, under kube-sim's names: the plan and machine only carry what launcherSpec reads.
    const machine = { name: vmi.hostname, type: 'vm' as const, disk: { image: vmi.base.name }, resources: { cpuMillis: vmi.cpuMillis, memoryBytes: vmi.memoryBytes }, env: {}, httpPorts: [] };
    const plan = { instanceId: vmi.namespace, installation: 'kube-sim', owner: 'kube-sim', lab: { name: 'kube-sim', version: 1 }, network: { egress: 'deny' as const }, machines: [machine] };
    const spec = launcherSpec(plan, machine, vmi.base, files, accel);
    spec.name = name;
    spec.Labels = this.labels(vmi.namespace, vmi.name, 'VirtualMachineInstance', vmi.labels);
    spec.Env = [...(spec.Env ?? []).map((entry) => (entry.startsWith('VM_NAME=') ? `VM_NAME=${name}` : entry)), ...(vmi.kernelArgs ? [`VM_APPEND=${vmi.kernelArgs}`] : [])];
    spec.HostConfig = { ...spec.HostConfig, NetworkMode: network };
    spec.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: vmi.aliases } } };
    await docker.createContainer(spec);
    await docker.getContainer(name).start();
  }

  /** Resolves when the guest of a started VMI has booted (its serial console spoke); rejects with the launcher's words. */
  async waitForGuest(namespace: string, name: string): Promise<void> {
    await waitForBoot(await this.docker(), this.containerName(namespace, name), name, 0, 150_000);
  }

  async launcherError(namespace: string, name: string): Promise<string | undefined> {
    return lastLauncherError(await this.docker(), this.containerName(namespace, name));
  }

  /** A fresh overlay for a containerDisk (ephemeral, as in KubeVirt). */
  async freshOverlay(namespace: string, name: string, base: BaseDisk): Promise<string> {
    const overlay = path.join(this.dir('vmis', namespace, name), 'disk.qcow2');
    this.disks.dropOverlay(overlay);
    await this.disks.ensureOverlay(overlay, base, name);
    return overlay;
  }

  dropVmiFiles(namespace: string, name: string): void {
    rmSync(path.join(this.dataDir, 'kube-sim', this.simId, 'vmis', namespace, name), { recursive: true, force: true });
  }

  async state(namespace: string, name: string): Promise<ContainerState | undefined> {
    const docker = await this.docker();
    const info = await docker
      .getContainer(this.containerName(namespace, name))
      .inspect()
      .catch((error: { statusCode?: number }) => (error.statusCode === 404 ? undefined : Promise.reject(error)));
    if (!info) return undefined;
    return {
      running: info.State.Running,
      paused: info.State.Paused,
      exitCode: info.State.ExitCode,
      pid: info.State.Pid,
      ip: info.NetworkSettings.Networks[this.networkName(namespace)]?.IPAddress || undefined,
      id: info.Id,
    };
  }

  /** Every container of this simulator: `namespace/name` → running or not (one engine call, for the controllers' sweep). */
  async listStates(): Promise<Map<string, { running: boolean }>> {
    const docker = await this.docker();
    const containers = await docker.listContainers({ all: true, filters: { label: [`${simLabels.sim}=${this.simId}`] } });
    return new Map(containers.map((info) => [`${info.Labels[simLabels.namespace]}/${info.Labels[simLabels.name]}`, { running: info.State === 'running' || info.State === 'paused' }]));
  }

  /** A stream to `target` inside the network namespace of a running workload. */
  async connect(namespace: string, name: string, target: NamespaceTarget): Promise<Duplex> {
    const state = await this.state(namespace, name);
    if (!state?.running) throw new Error(`the workload of ${namespace}/${name} is not running`);
    return connectInNamespace(state.pid, target);
  }

  serial(namespace: string, name: string): Promise<Duplex> {
    return this.connect(namespace, name, vmChannels.serial);
  }

  vnc(namespace: string, name: string): Promise<Duplex> {
    return this.connect(namespace, name, vmChannels.vnc);
  }

  /** Runs `use` on a short QMP connection to the VMI's QEMU. */
  async qmp<T>(namespace: string, name: string, use: (qmp: QmpClient) => Promise<T>): Promise<T> {
    const qmp = await QmpClient.connect(await this.connect(namespace, name, vmChannels.qmp), 5000);
    try {
      return await use(qmp);
    } finally {
      qmp.close();
    }
  }

  /** Powers a VMI off: the ACPI power button, QMP quit after `graceMs`, then the container goes. */
  async powerOffVmi(namespace: string, name: string, graceMs: number): Promise<void> {
    const state = await this.state(namespace, name);
    if (state?.running) {
      await this.qmp(namespace, name, async (qmp) => {
        const status = await qmp.execute<{ status: string }>('query-status');
        if (status.status === 'paused') await qmp.execute('cont');
        const off = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), graceMs);
          qmp.onEvent((event) => event.event === 'SHUTDOWN' && (clearTimeout(timer), resolve(true)));
          void qmp.closed.then(() => (clearTimeout(timer), resolve(true)));
        });
        await qmp.execute('system_powerdown');
        if (!(await off)) await qmp.execute('quit').catch(() => {});
      }).catch(() => {});
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await this.state(namespace, name))?.running) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.remove(this.containerName(namespace, name));
  }

  async removeWorkload(namespace: string, name: string): Promise<void> {
    await this.remove(this.containerName(namespace, name));
  }

  private async remove(containerName: string): Promise<void> {
    const docker = await this.docker();
    await docker
      .getContainer(containerName)
      .remove({ force: true, v: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }

  /** Everything of one namespace: its containers, its network, its files. */
  async removeNamespace(namespace: string): Promise<void> {
    const docker = await this.docker();
    const filters = { label: [`${simLabels.sim}=${this.simId}`, `${simLabels.namespace}=${namespace}`] };
    for (const info of await docker.listContainers({ all: true, filters })) await this.remove(info.Id);
    for (const network of await docker.listNetworks({ filters })) {
      await docker
        .getNetwork(network.Id)
        .remove()
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        });
    }
    for (const kind of ['hosts', 'vmis', 'datavolumes', 'volumes', 'emptydirs']) rmSync(path.join(this.dataDir, 'kube-sim', this.simId, kind, namespace), { recursive: true, force: true });
  }

  /** Everything this simulator made. */
  async removeAll(): Promise<void> {
    if (!this.engine) {
      rmSync(path.join(this.dataDir, 'kube-sim', this.simId), { recursive: true, force: true });
      return;
    }
    const docker = await this.docker();
    const filters = { label: [`${simLabels.sim}=${this.simId}`] };
    for (const info of await docker.listContainers({ all: true, filters })) await this.remove(info.Id);
    for (const network of await docker.listNetworks({ filters })) await docker.getNetwork(network.Id).remove().catch(() => {});
    rmSync(path.join(this.dataDir, 'kube-sim', this.simId), { recursive: true, force: true });
  }
}
