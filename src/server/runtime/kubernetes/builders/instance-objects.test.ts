import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schemaProblems } from '../../../../../test/support/kube-schemas.js';
import { RuntimeError, type ContainerMachinePlan, type InstancePlan, type VmMachinePlan } from '../../runtime.js';
import { buildInstance, type InstanceObjects } from './instance-objects.js';
import type { KubeSettings } from './settings.js';
import { inlineUserDataLimit } from './vm-machine.js';

const settings: KubeSettings = { imageRegistry: 'registry.example.org/labs', labhubNamespace: 'labhub' };
const desk: ContainerMachinePlan = { name: 'desk', type: 'container', image: 'labhub/desktop', vncPort: 5900, resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 ** 2 }, env: { A: '1' }, httpPorts: [8080] };
const router: VmMachinePlan = { name: 'router', type: 'vm', disk: { image: 'tiny' }, resources: { cpuMillis: 1500, memoryBytes: 256 * 1024 ** 2 }, env: {}, httpPorts: [], cloudInit: { userData: '#cloud-config\n' } };
const plan: InstancePlan = { installation: 'inst1', instanceId: 'abcdefghijkl', owner: 'alice@example.org', lab: { name: 'net', version: 3 }, network: { egress: 'deny' }, machines: [desk, router] };

const labels = { 'labhub.io/instance': 'abcdefghijkl', 'labhub.io/owner': 'alice-example-org--7a64adf2', 'labhub.io/lab': 'net', 'labhub.io/installation': 'inst1' };
const namespace = 'labhub-abcdefghijkl';

function allObjects(objects: InstanceObjects): { kind?: string }[] {
  return [objects.namespace, ...objects.policy, ...objects.machines.flatMap((machine) => [machine.service, ...machine.secrets, ...machine.claims, machine.workload.object])];
}

function assertValid(objects: InstanceObjects): void {
  for (const object of allObjects(objects)) assert.deepEqual(schemaProblems(object), [], `${object.kind} validates`);
}

test('the Namespace, plan Secret, NetworkPolicy, ResourceQuota and LimitRange of an instance', () => {
  const objects = buildInstance(plan, settings);
  assertValid(objects);
  assert.deepEqual(objects.namespace, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels, annotations: { 'labhub.io/owner': 'alice@example.org', 'labhub.io/instance': 'abcdefghijkl', 'labhub.io/installation': 'inst1', 'labhub.io/machines': 'desk:container,router:vm' } },
  });
  const [planSecret, policy, quota, limits] = objects.policy;
  assert.deepEqual(JSON.parse(Buffer.from(planSecret.data?.['plan.json'] ?? '', 'base64').toString()), plan);
  assert.deepEqual(planSecret.metadata, { name: 'labhub-plan', namespace, labels });
  assert.deepEqual(policy, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'labhub-instance', namespace, labels },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'labhub' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'labhub' } } }] }],
      egress: [
        { to: [{ podSelector: {} }] },
        { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      ],
    },
  });
  assert.deepEqual(quota, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'labhub-instance', namespace, labels },
    spec: { hard: { 'requests.cpu': '3500m', 'limits.cpu': '3500m', 'requests.memory': '1792Mi', 'limits.memory': '1792Mi', pods: '4', 'requests.storage': '11Gi' } },
  });
  assert.deepEqual(limits, {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'labhub-instance', namespace, labels },
    spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '500m', memory: '512Mi' }, max: { cpu: '2500m', memory: '1280Mi' } }] },
  });
});

test('egress: allow opens the internet but not the cluster\'s private ranges', () => {
  const objects = buildInstance({ ...plan, network: { egress: 'allow' } }, settings);
  assertValid(objects);
  assert.deepEqual(objects.policy[1].spec?.egress?.[2], { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] } }] });
});

test('a container machine: a Pod named after the machine, its home claim and a headless Service with its ports', () => {
  const [machine] = buildInstance(plan, settings).machines;
  assert.deepEqual(machine?.claims, [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'desk-home', namespace, labels: { ...labels, 'labhub.io/machine': 'desk' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  ]);
  assert.deepEqual(machine?.service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'desk', namespace, labels: { ...labels, 'labhub.io/machine': 'desk' } },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { 'labhub.io/instance': 'abcdefghijkl', 'labhub.io/machine': 'desk', 'labhub.io/machine-type': 'container' },
      ports: [
        { name: 'tcp-5900', port: 5900, targetPort: 5900, protocol: 'TCP' },
        { name: 'tcp-8080', port: 8080, targetPort: 8080, protocol: 'TCP' },
      ],
    },
  });
  assert.deepEqual(machine?.workload, {
    kind: 'Pod',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'desk', namespace, labels: { ...labels, 'labhub.io/machine': 'desk', 'labhub.io/machine-type': 'container' }, annotations: { 'labhub.io/vnc-port': '5900' } },
      spec: {
        hostname: 'desk',
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 5,
        initContainers: [
          {
            name: 'home',
            image: 'registry.example.org/labs/labhub/desktop',
            command: ['/bin/sh', '-c', 'if [ ! -e /home-claim/.labhub-home ]; then cp -a /root/. /home-claim/ 2>/dev/null; touch /home-claim/.labhub-home; fi'],
            resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } },
            volumeMounts: [{ name: 'home', mountPath: '/home-claim' }],
          },
        ],
        containers: [
          {
            name: 'machine',
            image: 'registry.example.org/labs/labhub/desktop',
            env: [{ name: 'A', value: '1' }],
            resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } },
            ports: [
              { containerPort: 5900, protocol: 'TCP' },
              { containerPort: 8080, protocol: 'TCP' },
            ],
            securityContext: { capabilities: { add: ['NET_RAW'] } },
            volumeMounts: [{ name: 'home', mountPath: '/root' }],
          },
        ],
        volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'desk-home' } }],
      },
    },
  });
});

test('a VM from one of labhub\'s disks: a DataVolume imported from its containerDisk, booted with that image\'s kernel', () => {
  const [, machine] = buildInstance(plan, settings).machines;
  const machineLabels = { ...labels, 'labhub.io/machine': 'router' };
  assert.deepEqual(machine?.service.spec, { clusterIP: 'None', publishNotReadyAddresses: true, selector: { 'labhub.io/instance': 'abcdefghijkl', 'labhub.io/machine': 'router', 'labhub.io/machine-type': 'vm' } });
  assert.deepEqual(machine?.secrets, []);
  assert.deepEqual(machine?.claims, [], 'a VM\'s disk is its DataVolume');
  assert.deepEqual(machine?.workload, {
    kind: 'VirtualMachine',
    object: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'router', namespace, labels: machineLabels },
      spec: {
        runStrategy: 'Always',
        dataVolumeTemplates: [
          {
            metadata: { name: 'router-disk', labels: machineLabels },
            spec: { source: { registry: { url: 'docker://registry.example.org/labs/labhub/tiny-disk', pullMethod: 'node' } }, storage: { resources: { requests: { storage: '5Gi' } } } },
          },
        ],
        template: {
          metadata: { labels: { ...machineLabels, 'labhub.io/machine-type': 'vm' } },
          spec: {
            hostname: 'router',
            terminationGracePeriodSeconds: 30,
            domain: {
              cpu: { cores: 2 },
              memory: { guest: '256Mi' },
              resources: { requests: { cpu: '1500m', memory: '256Mi' }, limits: { cpu: '1500m', memory: '256Mi' } },
              firmware: {
                kernelBoot: {
                  kernelArgs: 'console=tty0 console=ttyS0,115200 root=/dev/vda rw quiet labhub.hostname=router',
                  container: { image: 'registry.example.org/labs/labhub/tiny-disk', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd' },
                },
              },
              devices: {
                disks: [
                  { name: 'root', disk: { bus: 'virtio' } },
                  { name: 'cloudinit', disk: { bus: 'virtio' } },
                ],
                interfaces: [{ name: 'default', masquerade: {} }],
                autoattachGraphicsDevice: true,
                autoattachSerialConsole: true,
              },
            },
            networks: [{ name: 'default', pod: {} }],
            volumes: [
              { name: 'root', dataVolume: { name: 'router-disk' } },
              { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
            ],
          },
        },
      },
    },
  });
});

test('VM disks from a containerDisk, a URL or a PVC; large cloud-init data goes into a Secret', () => {
  const vm = (disk: VmMachinePlan['disk'], extra: Partial<VmMachinePlan> = {}) => {
    const objects = buildInstance({ ...plan, machines: [{ ...router, disk, ...extra }] }, settings);
    assertValid(objects);
    const [machine] = objects.machines;
    assert.equal(machine?.workload.kind, 'VirtualMachine');
    return { machine, spec: machine.workload.kind === 'VirtualMachine' ? machine.workload.object.spec : undefined };
  };
  const containerDisk = vm({ containerDisk: 'quay.io/containerdisks/fedora:40' });
  assert.equal(containerDisk.spec?.dataVolumeTemplates, undefined);
  assert.equal(containerDisk.spec?.template.spec.domain.firmware, undefined);
  assert.deepEqual(containerDisk.spec?.template.spec.volumes[0], { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } });

  const url = vm({ url: 'https://example.org/disk.qcow2' }, { resources: { cpuMillis: 500, memoryBytes: 1024 ** 3, diskBytes: 20 * 1024 ** 3 } });
  assert.deepEqual(url.spec?.dataVolumeTemplates?.[0]?.spec, { source: { http: { url: 'https://example.org/disk.qcow2' } }, storage: { resources: { requests: { storage: '20Gi' } } } });
  assert.deepEqual(url.spec?.template.spec.domain.cpu, { cores: 1 });

  const pvc = vm({ pvc: 'golden-image' });
  assert.deepEqual(pvc.spec?.dataVolumeTemplates?.[0]?.spec.source, { pvc: { namespace: 'labhub', name: 'golden-image' } });

  const userData = `#cloud-config\n# ${'x'.repeat(inlineUserDataLimit)}\n`;
  const large = vm({ image: 'tiny' }, { cloudInit: { userData } });
  assert.deepEqual(large.spec?.template.spec.volumes[1], { name: 'cloudinit', cloudInitNoCloud: { secretRef: { name: 'router-cloud-init' } } });
  assert.deepEqual(large.machine?.secrets, [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'router-cloud-init', namespace, labels: { ...labels, 'labhub.io/machine': 'router' } },
      type: 'Opaque',
      data: { userdata: Buffer.from(userData).toString('base64') },
    },
  ]);
});

test('labhub\'s own images need the registry setting; other images are used as written', () => {
  const unset: KubeSettings = { imageRegistry: undefined, labhubNamespace: 'labhub' };
  assert.throws(
    () => buildInstance(plan, unset),
    (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && error.machine === 'desk' && /LABHUB_KUBE_IMAGE_REGISTRY/.test(error.message),
  );
  const objects = buildInstance({ ...plan, machines: [{ ...desk, image: 'docker.io/library/nginx:1.27' }] }, unset);
  assertValid(objects);
  const [machine] = objects.machines;
  assert.equal(machine?.workload.kind === 'Pod' && machine.workload.object.spec?.containers[0]?.image, 'docker.io/library/nginx:1.27');
  const podman = buildInstance({ ...plan, machines: [{ ...desk, image: 'localhost/labhub/shell:latest' }] }, settings).machines[0];
  assert.equal(podman?.workload.kind === 'Pod' && podman.workload.object.spec?.containers[0]?.image, 'registry.example.org/labs/labhub/shell:latest');
});

test('odd owners and long names still give valid objects', () => {
  const objects = buildInstance({ ...plan, owner: 'Ünïcode user with spaces and a very long name that goes on and on and on', instanceId: 'x'.repeat(60) }, settings);
  assertValid(objects);
  assert.ok((objects.namespace.metadata?.name ?? '').length <= 63);
});

test('a machine whose name starts with a digit is refused before any object is made: a Service name must start with a letter', () => {
  assert.throws(
    () => buildInstance({ ...plan, machines: [{ ...router, name: '1router' }] }, settings),
    (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && error.machine === '1router' && /must start with a letter/.test(error.message),
  );
});
