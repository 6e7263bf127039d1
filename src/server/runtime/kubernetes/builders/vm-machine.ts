import type { ISecret } from 'kubernetes-models/v1/Secret';
import { kubeCloudInitSecretName, kubeDiskName, kubeLabels, kubeMachineName, kubeNamespaceName } from '../../naming.js';
import type { InstancePlan, VmMachinePlan } from '../../runtime.js';
import { workloadLabels } from './container-machine.js';
import type { DataVolumeTemplate, RunStrategy, VirtualMachine, VmVolume } from './kubevirt-types.js';
import { bytesQuantity, cpuQuantity } from './quantities.js';
import { clusterImage, diskImage, type KubeSettings } from './settings.js';

/** KubeVirt refuses inline cloud-init user data over 2 KiB; larger data goes into a Secret. */
export const inlineUserDataLimit = 2048;

/** Disk size of a DataVolume when the lab gives none: room for labhub's `debian` disk (4 GiB) and CDI's file-system overhead. */
export const defaultDiskBytes = 5 * 1024 ** 3;

/**
 * The kernel command line of labhub's own disks, which boot by direct kernel boot (they have no
 * boot loader): the same as the local runtime's launcher (images/vm-launcher), so a disk behaves
 * alike on both runtimes: console on the serial port and the screen, root on the first disk.
 */
function kernelArgs(machine: string): string {
  return `console=tty0 console=ttyS0,115200 root=/dev/vda rw quiet labhub.hostname=${machine}`;
}

export interface VmObjects {
  vm: VirtualMachine;
  /** The cloud-init Secret, when the user data is too large to inline. */
  secret?: ISecret;
}

/**
 * A VM machine: a `kubevirt.io/v1` VirtualMachine whose disk is
 * - `{image}`: one of labhub's disks, imported by CDI from its containerDisk image
 *   (`labhub/<name>-disk`, images/containerdisk.sh) into a DataVolume, and booted with the kernel
 *   and initrd of that same image (kernelBoot), as the local runtime boots it;
 * - `{containerDisk}`: an ephemeral containerDisk volume (fresh at every start, as in KubeVirt);
 * - `{url}` / `{pvc}`: a DataVolume that CDI imports over HTTP or clones from a PVC in labhub's Namespace.
 * Its one interface is masquerade on the Pod network; the serial console and VNC screen are KubeVirt's.
 */
export function buildVm(plan: InstancePlan, machine: VmMachinePlan, settings: KubeSettings, runStrategy: RunStrategy = 'Always'): VmObjects {
  const namespace = kubeNamespaceName(plan.instanceId);
  const memory = bytesQuantity(machine.resources.memoryBytes);
  const cpu = cpuQuantity(machine.resources.cpuMillis);
  const disk = machine.disk;
  const dataVolume = (source: DataVolumeTemplate['spec']['source']): DataVolumeTemplate => ({
    metadata: { name: kubeDiskName(machine.name), labels: kubeLabels(plan, machine.name) },
    spec: { source, storage: { resources: { requests: { storage: bytesQuantity(machine.resources.diskBytes ?? defaultDiskBytes) } } } },
  });
  const template =
    'image' in disk
      ? // Pulled by the node, like any Pod image: no scratch claim, and no egress from the importer Pod past the lab's NetworkPolicy.
        dataVolume({ registry: { url: `docker://${diskImage(disk.image, settings, machine.name)}`, pullMethod: 'node' } })
      : 'url' in disk
        ? dataVolume({ http: { url: disk.url } })
        : 'pvc' in disk
          ? dataVolume({ pvc: { namespace: settings.labhubNamespace, name: disk.pvc } })
          : undefined;
  const root: VmVolume = template
    ? { name: 'root', dataVolume: { name: template.metadata.name } }
    : { name: 'root', containerDisk: { image: clusterImage('containerDisk' in disk ? disk.containerDisk : '', settings, machine.name) } };

  const userData = machine.cloudInit?.userData;
  const secret: ISecret | undefined =
    userData !== undefined && Buffer.byteLength(userData) > inlineUserDataLimit
      ? {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: kubeCloudInitSecretName(machine.name), namespace, labels: kubeLabels(plan, machine.name) },
          type: 'Opaque',
          data: { userdata: Buffer.from(userData).toString('base64') },
        }
      : undefined;
  const volumes: VmVolume[] = [root];
  if (userData !== undefined) {
    volumes.push({ name: 'cloudinit', cloudInitNoCloud: secret ? { secretRef: { name: kubeCloudInitSecretName(machine.name) } } : { userData } });
  }

  const vm: VirtualMachine = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: kubeMachineName(machine.name), namespace, labels: kubeLabels(plan, machine.name) },
    spec: {
      runStrategy,
      ...(template && { dataVolumeTemplates: [template] }),
      template: {
        metadata: { labels: workloadLabels(plan, machine) },
        spec: {
          hostname: kubeMachineName(machine.name),
          terminationGracePeriodSeconds: 30,
          domain: {
            cpu: { cores: Math.max(1, Math.ceil(machine.resources.cpuMillis / 1000)) },
            memory: { guest: memory },
            resources: { requests: { cpu, memory }, limits: { cpu, memory } },
            ...('image' in disk && {
              firmware: {
                kernelBoot: {
                  kernelArgs: kernelArgs(machine.name),
                  container: { image: diskImage(disk.image, settings, machine.name), kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd' },
                },
              },
            }),
            devices: {
              disks: volumes.map((volume) => ({ name: volume.name, disk: { bus: 'virtio' as const } })),
              interfaces: [{ name: 'default', masquerade: {} }],
              autoattachGraphicsDevice: true,
              autoattachSerialConsole: true,
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes,
        },
      },
    },
  };
  return { vm, ...(secret && { secret }) };
}
