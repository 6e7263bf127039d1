import type { NormalizedLab } from '../../common/lab/normalized.js';
import type { InstancePlan, MachinePlan } from '../runtime/runtime.js';

/** The runtime's input for one instance of a lab: a pure function of the lab and who runs it. */
export function planFor(installation: string, instanceId: string, owner: string, lab: NormalizedLab, version: number): InstancePlan {
  return {
    installation,
    instanceId,
    owner,
    lab: { name: lab.name, version },
    network: { egress: lab.network.egress },
    machines: lab.machines.map((machine): MachinePlan => {
      const common = {
        name: machine.name,
        resources: {
          cpuMillis: machine.resources.cpuMillis,
          memoryBytes: machine.resources.memoryBytes,
          ...(machine.resources.diskBytes !== null && { diskBytes: machine.resources.diskBytes }),
        },
        env: machine.env,
        httpPorts: machine.access.flatMap((access) => (typeof access === 'object' ? [access.http] : [])),
      };
      if (machine.type === 'container') return { ...common, type: 'container', image: machine.image, vncPort: machine.access.includes('desktop') ? machine.vncPort : null };
      const disk =
        machine.disk.source === 'image'
          ? { image: machine.disk.image }
          : machine.disk.source === 'containerDisk'
            ? { containerDisk: machine.disk.image }
            : machine.disk.source === 'url'
              ? { url: machine.disk.url }
              : { pvc: machine.disk.claimName };
      return { ...common, type: 'vm', disk, ...(machine.userData !== null && { cloudInit: { userData: machine.userData } }) };
    }),
  };
}
