import Docker from 'dockerode';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { containerName, labelKeys } from '../../src/server/runtime/naming.js';
import { containerMachine, dataDir, engineSocket, firewallLinesOf, instanceFiles, processesOf, vmMachine } from './local-target.js';
import { runtimeConformance } from './suite.js';

runtimeConformance({
  name: 'local (Podman)',
  runtime: async () => new LocalRuntime({ engineSocket, dataDir }),
  shellMachine: (name) => containerMachine(name, 'labhub/shell'),
  desktopMachine: (name) => containerMachine(name, 'labhub/desktop', { vncPort: 5900, resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024 } }),
  vmMachine: (name) => vmMachine(name),
  async leftovers(instanceId) {
    const docker = new Docker({ socketPath: engineSocket });
    const filters = { label: [`${labelKeys.instance}=${instanceId}`] };
    const containers = await docker.listContainers({ all: true, filters });
    const networks = await docker.listNetworks({ filters });
    const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
    return [
      ...containers.map((c) => `container ${c.Names[0]}`),
      ...networks.map((n) => `network ${n.Name}`),
      ...volumes.map((v) => `volume ${v.Name}`),
      ...processesOf(instanceId),
      ...instanceFiles(instanceId),
      ...firewallLinesOf(instanceId),
    ];
  },
  async memoryLimit(ref) {
    const docker = new Docker({ socketPath: engineSocket });
    const info = await docker.getContainer(containerName(ref.instanceId, ref.machine)).inspect();
    return info.HostConfig.Memory ?? 0;
  },
});
