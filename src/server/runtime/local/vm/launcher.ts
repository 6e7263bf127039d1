import type Docker from 'dockerode';
import { containerName, machineLabels, networkName } from '../../naming.js';
import type { InstancePlan, VmMachinePlan } from '../../runtime.js';
import { containerUlimits } from '../engine.js';
import type { BaseDisk } from './disks.js';

/**
 * The launcher container of a VM machine (images/vm-launcher): QEMU runs inside it, the way
 * KubeVirt runs QEMU inside virt-launcher pods, and the VM takes over the container's place
 * on the instance network. The container is the VM's identity: its name and labels are those
 * of a container machine, and `list()`/`destroy()` find it like any other.
 */

export const launcherImage = 'labhub/vm-launcher';

/** Where the launcher's QEMU serves its channels, inside the launcher's network namespace only. */
export const vmChannels = {
  serial: { abstractSocket: 'labhub-vm/serial' },
  qmp: { abstractSocket: 'labhub-vm/qmp' },
  vnc: { tcp: { host: '127.0.0.1', port: 5900 } },
} as const;

export type Accel = 'kvm' | 'tcg';

/** How the acceleration reads in a machine's status. */
export function accelWords(accel: Accel | undefined): string {
  return accel === 'kvm' ? 'KVM' : accel === 'tcg' ? 'TCG, no KVM' : 'acceleration unknown';
}

/** Seconds the serial console of a booting VM may stay silent before it counts as not booting (the launcher's VM_BOOT_TIMEOUT). */
export const bootTimeoutSeconds = 120;

/** What QEMU needs besides the VM's RAM and vCPUs: its own code, the TCG translation cache (128 MiB), VNC. */
const memoryOverheadBytes = 256 * 1024 * 1024;
const cpuOverheadMillis = 250;

export function isLauncherImage(image: string | undefined): boolean {
  return image !== undefined && image.replace(/^localhost\//, '').replace(/:latest$/, '') === launcherImage;
}

/** Host paths of one VM machine's files. */
export interface LauncherFiles {
  hostsFile: string;
  overlay: string;
  imagesDir: string;
  /** A NoCloud seed directory (user-data, meta-data), when the machine has cloud-init data. */
  seedDir?: string;
}

/** Where the overlay appears inside the launcher. */
const diskInLauncher = '/vm/disk.qcow2';

/** The engine's create options for the launcher of `machine`: a pure function of its inputs. */
export function launcherSpec(plan: InstancePlan, machine: VmMachinePlan, base: BaseDisk, files: LauncherFiles, accel: Accel): Docker.ContainerCreateOptions {
  const network = networkName(plan.instanceId);
  const name = containerName(plan.instanceId, machine.name);
  const env: Record<string, string> = {
    // The container's name makes the instance id part of QEMU's command line: operators (and tests) find its processes.
    VM_NAME: name,
    VM_HOSTNAME: machine.name,
    VM_CPUS: String(Math.max(1, Math.ceil(machine.resources.cpuMillis / 1000))),
    VM_MEMORY_MIB: String(Math.max(64, Math.ceil(machine.resources.memoryBytes / (1024 * 1024)))),
    VM_DISK: diskInLauncher,
    VM_ACCEL: accel,
    VM_BOOT_TIMEOUT: String(bootTimeoutSeconds),
    ...(base.kernel && { VM_KERNEL: base.kernel }),
    ...(base.initrd && { VM_INITRD: base.initrd }),
    ...(files.seedDir && { VM_SEED_DIR: '/vm/seed' }),
  };
  return {
    name,
    Image: launcherImage,
    Hostname: machine.name,
    Labels: machineLabels(plan, machine.name),
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    HostConfig: {
      NetworkMode: network,
      NanoCpus: (machine.resources.cpuMillis + cpuOverheadMillis) * 1_000_000,
      Memory: machine.resources.memoryBytes + memoryOverheadBytes,
      MemorySwap: machine.resources.memoryBytes + memoryOverheadBytes,
      PidsLimit: 512,
      Ulimits: containerUlimits(),
      // The bridge binding rewires eth0 (NET_ADMIN), runs a DHCP server (NET_RAW) and a tap device.
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Devices: [
        { PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' },
        ...(accel === 'kvm' ? [{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }] : []),
      ],
      Binds: [
        `${files.hostsFile}:/etc/hosts:ro`,
        // One file, not its directory: the launcher can write the disk but cannot swap anything labhub later reads or writes.
        `${files.overlay}:${diskInLauncher}`,
        // At the same path as on the host, so the overlay's recorded backing file resolves in both.
        `${files.imagesDir}:${files.imagesDir}:ro`,
        ...(files.seedDir ? [`${files.seedDir}:/vm/seed:ro`] : []),
      ],
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [machine.name] } } },
  };
}
