import type { IPod } from 'kubernetes-models/v1/Pod';
import { labelKeys } from '../naming.js';
import type { MachineState } from '../runtime.js';
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from './builders/kubevirt-types.js';

export interface StateWithMessage {
  state: MachineState;
  message?: string;
}

/** Container reasons that do not pass by waiting: the machine has failed. */
const failedWaiting = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError']);

/**
 * A container machine's state from its Pod. No Pod: stopped (stopping a container machine
 * deletes its Pod). A Pod whose processes labhub froze is paused.
 */
export function containerState(pod: IPod | undefined): StateWithMessage {
  if (!pod) return { state: 'stopped' };
  if (pod.metadata?.deletionTimestamp) return { state: 'stopped', message: 'stopping' };
  const status = pod.status;
  const container = status?.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  const terminated = container?.state?.terminated;
  switch (status?.phase) {
    case 'Running': {
      if (pod.metadata?.annotations?.[labelKeys.paused] === 'true') return { state: 'paused', message: 'paused (processes stopped)' };
      const ready = status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True');
      return ready ? { state: 'running' } : { state: 'starting' };
    }
    case 'Succeeded':
      return { state: 'stopped', message: 'exited with code 0' };
    case 'Failed':
      return { state: 'failed', message: terminated ? `exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}` : (status.message ?? status.reason ?? 'the Pod failed') };
    default: {
      if (waiting?.reason && failedWaiting.has(waiting.reason)) return { state: 'failed', message: `${waiting.reason}: ${waiting.message ?? ''}`.trim() };
      const unschedulable = status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False');
      if (unschedulable) return { state: 'pending', message: unschedulable.message ?? 'waiting for a node' };
      return waiting?.reason === 'ContainerCreating' || status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True')
        ? { state: 'starting', message: waiting?.reason === 'ContainerCreating' ? 'pulling the image and starting' : 'starting' }
        : { state: 'pending' };
    }
  }
}

/** KubeVirt's printable statuses that end in failure rather than pass. */
const failedStatuses = new Set(['ErrorUnschedulable', 'ErrImagePull', 'ImagePullBackOff', 'ErrorPvcNotFound', 'DataVolumeError', 'CrashLoopBackOff', 'ErrorDataVolumeNotFound', 'Unknown']);

/**
 * A VM machine's state from its VirtualMachine, its VMI and its disk's DataVolume. A VM is
 * running once its VMI is Ready (the guest is up), starting while CDI imports its disk or it
 * boots. `accel` words the acceleration for the running message ("KVM", "TCG, no KVM").
 */
export function vmState(vm: VirtualMachine | undefined, vmi: VirtualMachineInstance | undefined, disk: DataVolume | undefined, accel: string): StateWithMessage {
  if (!vm) return { state: 'stopped' };
  const printable = vm.status?.printableStatus;
  if (disk?.status?.phase === 'Failed' || printable === 'DataVolumeError') return { state: 'failed', message: `importing the disk failed: ${diskProblem(disk) ?? 'see the DataVolume'}` };
  if (printable && failedStatuses.has(printable)) {
    const why = vm.status?.conditions?.find((condition) => condition.status === 'False' && condition.message)?.message;
    return { state: 'failed', message: why ? `${printable}: ${why}` : printable };
  }
  if (vmi?.status?.conditions?.some((condition) => condition.type === 'Paused' && condition.status === 'True')) return { state: 'paused', message: 'paused (KubeVirt paused the virtual CPUs)' };
  if (vmi && !vmi.metadata?.deletionTimestamp) {
    if (vmi.status?.phase === 'Running') {
      const ready = vmi.status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True');
      return ready ? { state: 'running', message: `running (${accel})` } : { state: 'starting', message: `booting (${accel})` };
    }
    if (vmi.status?.phase === 'Failed') return { state: 'failed', message: 'the VM failed' };
    if (vmi.status?.phase === 'Succeeded') return { state: 'stopped', message: 'the guest powered off' };
  }
  if (vm.spec.runStrategy === 'Halted') return { state: 'stopped', ...(vmi && { message: 'stopping' }) };
  const importing = disk && disk.status?.phase !== 'Succeeded';
  if (importing) return { state: 'starting', message: `importing the disk${disk.status?.progress && disk.status.progress !== 'N/A' ? ` (${disk.status.progress})` : ''}` };
  return { state: 'starting', message: printable ? printable.toLowerCase() : 'starting' };
}

/** What a DataVolume's conditions say went wrong (CDI puts the importer's error in them). */
function diskProblem(disk: DataVolume | undefined): string | undefined {
  const conditions = disk?.status?.conditions ?? [];
  return (conditions.find((condition) => condition.status === 'False' && condition.message) ?? conditions.find((condition) => condition.message))?.message;
}
