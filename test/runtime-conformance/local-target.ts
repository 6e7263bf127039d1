/** What the local runtime tests share: the engine socket, a data dir and container machine plans. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { connectEngine, defaultEngineSocket } from '../../src/server/runtime/local/engine.js';
import { ImageBuilder } from '../../src/server/runtime/local/images.js';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { containerName, labelKeys } from '../../src/server/runtime/naming.js';
import type { ContainerMachinePlan, VmMachinePlan } from '../../src/server/runtime/runtime.js';
import type { ConformanceTarget } from './suite.js';

export const engineSocket = process.env.LABHUB_ENGINE_SOCKET ?? defaultEngineSocket;
export const dataDir = path.join(tmpdir(), 'labhub-conformance');

/** A VM machine of the local runtime: the `tiny` disk unless told otherwise. */
export function vmMachine(name: string, extra: Partial<VmMachinePlan> = {}): VmMachinePlan {
  return { name, type: 'vm', disk: { image: 'tiny' }, resources: { cpuMillis: 1000, memoryBytes: 256 * 1024 * 1024 }, env: {}, httpPorts: [], ...extra };
}

/**
 * Host processes whose command line names the instance (QEMU carries its launcher's name): none may
 * outlive destroy. Podman's conmon of an API exec session is left out: it waits 300 s
 * (`--exit-delay 300`) before its cleanup by design, holding nothing of the container; a conmon of a
 * container itself would go with a container that the engine still lists.
 */
export function processesOf(instanceId: string): string[] {
  const result = spawnSync('pgrep', ['-a', '-f', `labhub-${instanceId}`], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() && !/^\d+ \S*conmon .*--exec-attach/.test(line))
    .map((line) => `process ${line.slice(0, 120)}`);
}

/** Lines of the host's firewall (iptables and ip6tables, mangle table, where labhub's rules live) that name the instance. */
export function firewallLinesOf(instanceId: string): string[] {
  return ['iptables', 'ip6tables'].flatMap((tool) =>
    spawnSync(tool, ['-w', '-t', 'mangle', '-S'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.includes(instanceId))
      .map((line) => `${tool} ${line}`),
  );
}

/** The instance's directory in the data dir (hosts files, VM overlays, cloud-init seeds), when it still exists. */
export function instanceFiles(instanceId: string): string[] {
  const dir = path.join(dataDir, 'instances', instanceId);
  return existsSync(dir) ? [`dir ${dir}`] : [];
}

export function containerMachine(name: string, image: string, extra: Partial<ContainerMachinePlan> = {}): ContainerMachinePlan {
  return { name, type: 'container', image, resources: { cpuMillis: 500, memoryBytes: 256 * 1024 * 1024 }, env: {}, httpPorts: [], vncPort: null, ...extra };
}

/** The engine answering (started if need be) with labhub/shell built: for tests that use the engine directly. */
export async function engineWithShellImage(): Promise<void> {
  await connectEngine(engineSocket, { start: true });
  const images = new ImageBuilder(() => connectEngine(engineSocket, { start: true }), dataDir);
  await images.ensure('labhub/shell', () => {});
}

/**
 * The local runtime on the engine whose socket `engine` gives (Podman, or Docker Engine), as a
 * conformance target; with VMs when `vms` (launchers need labhub/vm-launcher, built with Podman).
 */
export function localTarget(name: string, engine: () => Promise<string>, options: { vms: boolean }): ConformanceTarget {
  return {
    name,
    runtime: async () => {
      const socket = await engine();
      return new LocalRuntime({ engineSocket: socket, dataDir, startEngine: socket === engineSocket });
    },
    shellMachine: (machine) => containerMachine(machine, 'labhub/shell'),
    desktopMachine: (machine) => containerMachine(machine, 'labhub/desktop', { vncPort: 5900, resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024 } }),
    ...(options.vms && { vmMachine: (machine: string) => vmMachine(machine) }),
    async leftovers(instanceId) {
      const docker = new Docker({ socketPath: await engine() });
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
      const docker = new Docker({ socketPath: await engine() });
      const info = await docker.getContainer(containerName(ref.instanceId, ref.machine)).inspect();
      return info.HostConfig.Memory ?? 0;
    },
  };
}
