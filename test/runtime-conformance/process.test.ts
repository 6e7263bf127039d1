import { after } from 'node:test';
import { addressSpaceLimit, machineProcesses, processLabels } from '../support/process-table.js';
import { ProcessRuntime } from '../support/process-runtime.js';
import { containerMachine } from './local-target.js';
import { runtimeConformance } from './suite.js';

/**
 * The container half of the conformance suite against the process runtime (a test double,
 * test/support/process-runtime.ts): the tests that run on it instead of Podman can trust it
 * because it passes the same checks. What it cannot do, it declares, and the suite skips saying why.
 */
const runtimes: ProcessRuntime[] = [];

after(async () => {
  for (const runtime of runtimes) await runtime.close();
  await shared.dispose();
});

const shared = new ProcessRuntime();

runtimeConformance({
  name: 'process (test double)',
  // Each call a runtime of its own on one root, as a restarted labhub would have: they see the same machines.
  runtime: async () => {
    const runtime = new ProcessRuntime({ root: shared.root });
    runtimes.push(runtime);
    return runtime;
  },
  shellMachine: (name) => containerMachine(name, 'labhub/shell'),
  desktopMachine: (name) => containerMachine(name, 'labhub/desktop', { vncPort: 5900 }),
  unsupported: {
    network: "process machines share the host's network: no names for each other, no isolation between instances",
    vnc: 'process machines have no desktop image, so nothing serves RFB on their VNC port',
  },
  async leftovers(instanceId) {
    const processes = machineProcesses(shared.root).filter((p) => p.instanceId === instanceId);
    const dirs = (await shared.list()).filter((instance) => instance.instanceId === instanceId);
    return [...processes.map((p) => `process ${p.pid} (${p.machine}, ${processLabels.instance})`), ...dirs.map((d) => `instance ${d.instanceId}`)];
  },
  async memoryLimit(ref) {
    const init = shared.processesOf(ref.instanceId, ref.machine).find((p) => p.init);
    if (!init) throw new Error(`machine ${ref.machine} has no init process`);
    return addressSpaceLimit(init.pid);
  },
});
