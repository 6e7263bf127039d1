import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { kubeHomeClaimName, kubeLabels, kubeLabelValue, kubeMachineName, kubeNamespaceName, labelKeys } from '../../naming.js';
import type { ContainerMachinePlan, InstancePlan, MachinePlan } from '../../runtime.js';
import { bytesQuantity, cpuQuantity } from './quantities.js';
import { clusterImage, type KubeSettings } from './settings.js';

/** The labels of a machine's workload (its Pod, or its VM's virt-launcher Pod). */
export function workloadLabels(plan: InstancePlan, machine: MachinePlan): Record<string, string> {
  return { ...kubeLabels(plan, machine.name), ...workloadSelector(plan, machine) };
}

/** What the machine's Service selects: its workload, and nothing else in the Namespace. */
function workloadSelector(plan: InstancePlan, machine: MachinePlan): Record<string, string> {
  return { [labelKeys.instance]: kubeLabelValue(plan.instanceId), [labelKeys.machine]: kubeLabelValue(machine.name), [labelKeys.machineType]: machine.type };
}

/** The size of a container machine's home claim when the lab gives no disk size. */
export const defaultHomeBytes = 1024 ** 3;

/** Where a container machine's home claim is mounted: root's home, the user labhub's images run as. */
export const homePath = '/root';

/**
 * A container machine's home directory, on a claim of its own: stopping the machine deletes its
 * Pod (Kubernetes cannot stop a container and start the same one again), and the home is what
 * survives that, as a learner's files do on JupyterHub's Kubernetes spawner. Reset deletes it.
 */
export function buildHomeClaim(plan: InstancePlan, machine: ContainerMachinePlan): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: kubeHomeClaimName(machine.name), namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan, machine.name) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: bytesQuantity(machine.resources.diskBytes ?? defaultHomeBytes) } } },
  };
}

/**
 * A container machine's Pod. Its name is the machine's, and so is its host name. It never
 * restarts by itself (like the local runtime's containers): a machine whose main process ends is
 * stopped, and says so. Learners expect ping to work: NET_RAW is added. Its home directory is the
 * home claim, filled from the image's own /root the first time (as a container engine fills a new
 * named volume), by an init container of the same image.
 */
export function buildPod(plan: InstancePlan, machine: ContainerMachinePlan, settings: KubeSettings): IPod {
  const cpu = cpuQuantity(machine.resources.cpuMillis);
  const memory = bytesQuantity(machine.resources.memoryBytes);
  const resources = { requests: { cpu, memory }, limits: { cpu, memory } };
  const image = clusterImage(machine.image, settings, machine.name);
  const ports = [...new Set([...machine.httpPorts, ...(machine.vncPort === null ? [] : [machine.vncPort])])].sort((a, b) => a - b);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: kubeMachineName(machine.name),
      namespace: kubeNamespaceName(plan.instanceId),
      labels: workloadLabels(plan, machine),
      ...(machine.vncPort !== null && { annotations: { [labelKeys.vncPort]: String(machine.vncPort) } }),
    },
    spec: {
      hostname: kubeMachineName(machine.name),
      restartPolicy: 'Never',
      // Lab machines talk to the cluster API no more than they need to: not at all.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 5,
      initContainers: [
        {
          name: 'home',
          image,
          command: ['/bin/sh', '-c', 'if [ ! -e /home-claim/.labhub-home ]; then cp -a /root/. /home-claim/ 2>/dev/null; touch /home-claim/.labhub-home; fi'],
          resources,
          volumeMounts: [{ name: 'home', mountPath: '/home-claim' }],
        },
      ],
      containers: [
        {
          name: 'machine',
          image,
          env: Object.entries(machine.env).map(([name, value]) => ({ name, value })),
          resources,
          ports: ports.map((port) => ({ containerPort: port, protocol: 'TCP' })),
          securityContext: { capabilities: { add: ['NET_RAW'] } },
          volumeMounts: [{ name: 'home', mountPath: homePath }],
        },
      ],
      volumes: [{ name: 'home', persistentVolumeClaim: { claimName: kubeHomeClaimName(machine.name) } }],
    },
  };
}

/**
 * A machine's headless Service: DNS gives the machine's bare name (in the Namespace's search
 * domain) to its workload, so machines reach each other by name, as on the local runtime's
 * network. Its ports are the ones the lab declares (HTTP apps, the desktop's VNC server).
 */
export function buildMachineService(plan: InstancePlan, machine: MachinePlan): IService {
  const ports = [...new Set([...machine.httpPorts, ...(machine.type === 'container' && machine.vncPort !== null ? [machine.vncPort] : [])])].sort((a, b) => a - b);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: kubeMachineName(machine.name), namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan, machine.name) },
    spec: {
      clusterIP: 'None',
      // A machine's name resolves while it boots, before it is ready (a VM's guest answers no readiness probe).
      publishNotReadyAddresses: true,
      selector: workloadSelector(plan, machine),
      ...(ports.length > 0 && { ports: ports.map((port) => ({ name: `tcp-${port}`, port, targetPort: port, protocol: 'TCP' })) }),
    },
  };
}
