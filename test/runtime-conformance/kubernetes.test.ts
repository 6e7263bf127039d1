import { after } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parseBytesQuantity } from '../../src/server/runtime/kubernetes/builders/quantities.js';
import { KubeApi, type KubeList, type KubeObject } from '../../src/server/runtime/kubernetes/kube-api.js';
import { KubeRuntime } from '../../src/server/runtime/kubernetes/kube-runtime.js';
import { pathOf, resources } from '../../src/server/runtime/kubernetes/resources.js';
import { connectEngine } from '../../src/server/runtime/local/engine.js';
import { ImageBuilder } from '../../src/server/runtime/local/images.js';
import { kubeMachineName, kubeNamespaceName, labelKeys } from '../../src/server/runtime/naming.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { containerMachine, dataDir, engineSocket, vmMachine } from './local-target.js';
import { runtimeConformance } from './suite.js';

/**
 * The conformance suite against the Kubernetes runtime talking to kube-sim (test/kube-sim), whose
 * Pods and VMs are real Podman containers and QEMU VMs. Images come from a registry name the
 * cluster would pull from; kube-sim maps them to the local images of the same path.
 */
let started: Promise<KubeSim> | undefined;
function cluster(): Promise<KubeSim> {
  started ??= (async () => {
    const images = new ImageBuilder(() => connectEngine(engineSocket, { start: true }), dataDir);
    for (const image of ['labhub/shell', 'labhub/desktop']) await images.ensure(image, () => {});
    return startKubeSim({ dataDir, engineSocket });
  })();
  return started;
}

async function api(): Promise<KubeApi> {
  const config = new KubeConfig();
  config.loadFromString((await cluster()).kubeconfig());
  return new KubeApi(config);
}

after(async () => {
  if (started) await (await started).close();
});

runtimeConformance({
  name: 'kubernetes (kube-sim)',
  runtime: async () => new KubeRuntime({ api: await api(), settings: { imageRegistry: 'registry.labhub.test', labhubNamespace: 'labhub' } }),
  shellMachine: (name) => containerMachine(name, 'labhub/shell'),
  desktopMachine: (name) => containerMachine(name, 'labhub/desktop', { vncPort: 5900, resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024 } }),
  vmMachine: (name) => vmMachine(name),
  async leftovers(instanceId) {
    const client = await api();
    try {
      const selector = { labelSelector: `${labelKeys.instance}=${instanceId}` };
      const found: string[] = [];
      for (const resource of Object.values(resources)) {
        if (resource.plural === 'nodes') continue;
        const list = await client.request<KubeList<KubeObject>>('GET', pathOf(resource, undefined, undefined, selector));
        found.push(...list.items.map((item) => `${resource.plural} ${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`));
      }
      if (await client.get(pathOf(resources.namespace, undefined, kubeNamespaceName(instanceId)))) found.push(`namespace ${kubeNamespaceName(instanceId)}`);
      return found;
    } finally {
      client.close();
    }
  },
  async memoryLimit(ref) {
    const client = await api();
    try {
      const pod = await client.request<{ spec: { containers: { resources?: { limits?: { memory?: string } } }[] } }>('GET', pathOf(resources.pod, kubeNamespaceName(ref.instanceId), kubeMachineName(ref.machine)));
      return parseBytesQuantity(pod.spec.containers[0]?.resources?.limits?.memory ?? '');
    } finally {
      client.close();
    }
  },
});
