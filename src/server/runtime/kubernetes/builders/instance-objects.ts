import type { ILimitRange } from 'kubernetes-models/v1/LimitRange';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { kubeMachineName } from '../../naming.js';
import { RuntimeError, type InstancePlan } from '../../runtime.js';
import { buildHomeClaim, buildMachineService, buildPod } from './container-machine.js';
import type { VirtualMachine } from './kubevirt-types.js';
import { buildNamespace, buildPlanSecret } from './namespace.js';
import { buildNetworkPolicy } from './network-policy.js';
import { buildLimitRange, buildResourceQuota } from './resource-quota.js';
import type { KubeSettings } from './settings.js';
import { buildVm } from './vm-machine.js';

export interface MachineObjects {
  name: string;
  service: IService;
  /** Secrets the workload needs first (a VM's large cloud-init data). */
  secrets: ISecret[];
  /** Claims the workload needs first (a container machine's home). */
  claims: IPersistentVolumeClaim[];
  workload: { kind: 'Pod'; object: IPod } | { kind: 'VirtualMachine'; object: VirtualMachine };
}

export interface InstanceObjects {
  namespace: INamespace;
  /** Objects of the Namespace itself, created before any machine. */
  policy: [ISecret, INetworkPolicy, IResourceQuota, ILimitRange];
  machines: MachineObjects[];
}

/** Every object of an instance, in the order they are created. Pure: the plan and the settings in, manifests out. */
export function buildInstance(plan: InstancePlan, settings: KubeSettings): InstanceObjects {
  for (const machine of plan.machines) {
    // A Service's name is a DNS-1035 label; labs made before machine names had to start with a letter may hold others.
    if (!/^[a-z]/.test(kubeMachineName(machine.name))) {
      throw new RuntimeError('bad_plan', `Machine "${machine.name}" cannot run on Kubernetes: its name must start with a letter (it names the machine's Service). Rename it in the lab.`, {
        machine: machine.name,
      });
    }
  }
  return {
    namespace: buildNamespace(plan),
    policy: [buildPlanSecret(plan), buildNetworkPolicy(plan, settings), buildResourceQuota(plan), buildLimitRange(plan)],
    machines: plan.machines.map((machine): MachineObjects => {
      const service = buildMachineService(plan, machine);
      if (machine.type === 'container') {
        return { name: machine.name, service, secrets: [], claims: [buildHomeClaim(plan, machine)], workload: { kind: 'Pod', object: buildPod(plan, machine, settings) } };
      }
      const { vm, secret } = buildVm(plan, machine, settings);
      return { name: machine.name, service, secrets: secret ? [secret] : [], claims: [], workload: { kind: 'VirtualMachine', object: vm } };
    }),
  };
}
