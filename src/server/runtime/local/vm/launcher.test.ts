import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerUlimits } from '../engine.js';
import { isLauncherImage, launcherSpec } from './launcher.js';

const plan = { installation: 'inst1', instanceId: 'abcdefghijkl', owner: 'ann', lab: { name: 'net', version: 3 }, network: { egress: 'deny' as const }, machines: [] };
const machine = { name: 'router', type: 'vm' as const, disk: { image: 'tiny' }, resources: { cpuMillis: 1500, memoryBytes: 256 * 1024 * 1024 }, env: {}, httpPorts: [], cloudInit: { userData: '#cloud-config\n' } };
const base = { name: 'tiny', disk: '/data/images/tiny.qcow2', kernel: '/data/images/tiny.vmlinuz', initrd: '/data/images/tiny.initrd', fingerprint: 'recipe:x' };
const files = { hostsFile: '/data/instances/abcdefghijkl/router/hosts', overlay: '/data/instances/abcdefghijkl/router/disk.qcow2', imagesDir: '/data/images', seedDir: '/data/instances/abcdefghijkl/router/seed' };

test('the launcher of a VM machine', () => {
  assert.deepEqual(launcherSpec(plan, machine, base, files, 'tcg'), {
    name: 'labhub-abcdefghijkl-router',
    Image: 'labhub/vm-launcher',
    Hostname: 'router',
    Labels: { 'labhub.io/instance': 'abcdefghijkl', 'labhub.io/owner': 'ann', 'labhub.io/lab': 'net', 'labhub.io/installation': 'inst1', 'labhub.io/machine': 'router' },
    Env: [
      'VM_NAME=labhub-abcdefghijkl-router',
      'VM_HOSTNAME=router',
      'VM_CPUS=2',
      'VM_MEMORY_MIB=256',
      'VM_DISK=/vm/disk.qcow2',
      'VM_ACCEL=tcg',
      'VM_BOOT_TIMEOUT=120',
      'VM_KERNEL=/data/images/tiny.vmlinuz',
      'VM_INITRD=/data/images/tiny.initrd',
      'VM_SEED_DIR=/vm/seed',
    ],
    HostConfig: {
      NetworkMode: 'labhub-abcdefghijkl',
      NanoCpus: 1_750_000_000,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      PidsLimit: 512,
      Ulimits: containerUlimits(),
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      Binds: [
        '/data/instances/abcdefghijkl/router/hosts:/etc/hosts:ro',
        '/data/instances/abcdefghijkl/router/disk.qcow2:/vm/disk.qcow2',
        '/data/images:/data/images:ro',
        '/data/instances/abcdefghijkl/router/seed:/vm/seed:ro',
      ],
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { 'labhub-abcdefghijkl': { Aliases: ['router'] } } },
  });
});

test('with KVM the launcher gets /dev/kvm; without cloud-init no seed', () => {
  const { cloudInit: _userData, ...plain } = machine;
  const { kernel: _kernel, initrd: _initrd, ...diskOnly } = base;
  const { seedDir: _seed, ...noSeed } = files;
  const spec = launcherSpec(plan, plain, diskOnly, noSeed, 'kvm');
  assert.deepEqual(spec.HostConfig?.Devices?.map((device: { PathOnHost?: string }) => device.PathOnHost), ['/dev/net/tun', '/dev/kvm']);
  assert.ok(!spec.Env?.some((e) => /^VM_(SEED_DIR|KERNEL|INITRD)=/.test(e)));
  assert.ok(!spec.HostConfig?.Binds?.some((b) => b.includes('/vm/seed')));
  assert.ok(spec.Env?.includes('VM_ACCEL=kvm'));
});

test('the launcher image is recognised however the engine spells it', () => {
  for (const image of ['labhub/vm-launcher', 'localhost/labhub/vm-launcher', 'localhost/labhub/vm-launcher:latest']) assert.ok(isLauncherImage(image), image);
  for (const image of ['labhub/shell', 'evil/labhub/vm-launcher', undefined]) assert.ok(!isLauncherImage(image), String(image));
});
