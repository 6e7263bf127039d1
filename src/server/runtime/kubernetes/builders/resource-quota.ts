import type { ILimitRange } from 'kubernetes-models/v1/LimitRange';
import type { IResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { kubeLabels, kubeNamespaceName } from '../../naming.js';
import type { InstancePlan, MachinePlan } from '../../runtime.js';
import { defaultHomeBytes } from './container-machine.js';
import { defaultDiskBytes } from './vm-machine.js';
import { bytesQuantity, cpuQuantity } from './quantities.js';

/**
 * What a VM needs besides its guest's CPU and memory: KubeVirt's virt-launcher Pod adds QEMU's
 * own overhead to the guest memory, and CDI runs an importer Pod per DataVolume. The quota
 * leaves this much room per VM so those Pods are admitted.
 */
export const vmOverhead = { cpuMillis: 1000, memoryBytes: 1024 ** 3 } as const;

/** Requests and limits of a Pod that states none (CDI's importer, when the cluster's CDIConfig sets no defaults). */
const containerDefault = { cpuMillis: 500, memoryBytes: 512 * 1024 ** 2 } as const;

/**
 * The instance's share of the cluster: the sum of its machines' CPU and memory (plus the VM
 * overhead above), at most two Pods per machine (a VM's launcher and importer), and storage for
 * every claim that may exist at once. Storage is bounded by size, not by a count of claims: while
 * CDI imports a disk it holds more claims than the lab has disks (the DataVolume's own, the
 * populator's `prime-<uid>` of the same size, and a scratch claim unless the node pulls the image).
 */
export function buildResourceQuota(plan: InstancePlan): IResourceQuota {
  const vms = plan.machines.filter((machine) => machine.type === 'vm').length;
  const cpu = plan.machines.reduce((sum, machine) => sum + machine.resources.cpuMillis, 0) + vms * vmOverhead.cpuMillis;
  const memory = plan.machines.reduce((sum, machine) => sum + machine.resources.memoryBytes, 0) + vms * vmOverhead.memoryBytes;
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'labhub-instance', namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan) },
    spec: {
      hard: {
        'requests.cpu': cpuQuantity(cpu),
        'limits.cpu': cpuQuantity(cpu),
        'requests.memory': bytesQuantity(memory),
        'limits.memory': bytesQuantity(memory),
        pods: String(plan.machines.length * 2),
        'requests.storage': bytesQuantity(plan.machines.reduce((sum, machine) => sum + claimBytes(machine), 0)),
      },
    },
  };
}

/** The most storage a machine's claims request at one time. */
function claimBytes(machine: MachinePlan): number {
  if (machine.type === 'container') return machine.resources.diskBytes ?? defaultHomeBytes;
  const disk = machine.resources.diskBytes ?? defaultDiskBytes;
  if ('containerDisk' in machine.disk) return 0;
  // Target + prime; a scratch claim too unless the node pulls the image ({image} disks: vm-machine.ts).
  return disk * ('image' in machine.disk ? 2 : 3);
}

/** Defaults for Pods that state no resources (so the quota admits them), and a ceiling of the largest machine plus VM overhead. */
export function buildLimitRange(plan: InstancePlan): ILimitRange {
  const largestCpu = Math.max(...plan.machines.map((machine) => machine.resources.cpuMillis + (machine.type === 'vm' ? vmOverhead.cpuMillis : 0)), containerDefault.cpuMillis);
  const largestMemory = Math.max(...plan.machines.map((machine) => machine.resources.memoryBytes + (machine.type === 'vm' ? vmOverhead.memoryBytes : 0)), containerDefault.memoryBytes);
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'labhub-instance', namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan) },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: cpuQuantity(containerDefault.cpuMillis), memory: bytesQuantity(containerDefault.memoryBytes) },
          defaultRequest: { cpu: cpuQuantity(containerDefault.cpuMillis), memory: bytesQuantity(containerDefault.memoryBytes) },
          max: { cpu: cpuQuantity(largestCpu), memory: bytesQuantity(largestMemory) },
        },
      ],
    },
  };
}
