import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkLine,
  databaseCheck,
  diskCheck,
  engineCheck,
  imagesCheck,
  minFreeBytes,
  networkCheck,
  runcCheck,
  setupEngineCommand,
  vmCheck,
  type HostCheck,
} from './checks.js';
import { databaseWhere } from './host-facts.js';

/** A failed check is one line: what is wrong, then "Fix:" and a command. */
function assertOneLineWithFix(check: HostCheck, fix: RegExp): void {
  assert.equal(check.ok, false);
  const line = checkLine(check);
  assert.doesNotMatch(line, /\n/);
  assert.match(line, /^FAIL {2}/);
  assert.match(line, /\. Fix: /);
  assert.match(check.fix ?? '', fix);
}

const podman = { engine: 'podman', backend: 'netavark', aardvarkDns: true, iptables: true } as const;

test('network: CNI fails, names the missing DNS and the command that moves Podman to netavark; every lab is blocked', () => {
  const check = networkCheck({ ...podman, backend: 'cni' });
  assertOneLineWithFix(check, /^bash scripts\/setup-engine\.sh$/);
  assert.equal(check.fix, setupEngineCommand);
  assert.match(check.message, /CNI network backend/);
  assert.match(check.message, /dns_enabled: false/);
  assert.match(check.message, /cannot find each other by name/);
  assert.deepEqual(check.blocks, { every: true });
});

test("network: a network made like labhub's with dns_enabled: false fails, even under netavark", () => {
  const check = networkCheck({ ...podman, probe: { dnsEnabled: false, isolated: true } });
  assertOneLineWithFix(check, /setup-engine/);
  assert.match(check.message, /dns_enabled: false/);
});

test('network: netavark without aardvark-dns, or without iptables, fails with the package to install', () => {
  assertOneLineWithFix(networkCheck({ ...podman, aardvarkDns: false }), /^apt-get install aardvark-dns$/);
  assertOneLineWithFix(networkCheck({ ...podman, iptables: false }), /^apt-get install iptables$/);
});

test('network: a network that is not isolated fails; a failed test network says so', () => {
  const open = networkCheck({ ...podman, probe: { dnsEnabled: true, isolated: false } });
  assertOneLineWithFix(open, /netavark/);
  assert.match(open.message, /not isolated/);
  const failed = networkCheck({ ...podman, probe: { error: 'netavark: iptables: No chain' } });
  assertOneLineWithFix(failed, /podman network create/);
  assert.match(failed.message, /netavark: iptables: No chain/);
});

test('network: netavark with aardvark-dns, DNS and isolation passes; Docker passes', () => {
  const check = networkCheck({ ...podman, probe: { dnsEnabled: true, isolated: true } });
  assert.equal(check.ok, true);
  assert.match(checkLine(check), /^ok {4}Lab networks: names and isolation: netavark with aardvark-dns/);
  assert.equal(networkCheck({ engine: 'docker' }).ok, true);
});

test('engine: unreachable names the socket and the reason; the fix depends on whether Podman is installed', () => {
  const withPodman = engineCheck({ reachable: false, socket: '/run/podman/podman.sock', reason: 'connect ENOENT', podmanInstalled: true });
  assertOneLineWithFix(withPodman, /^podman --runtime runc system service --time=0 unix:\/\/\/run\/podman\/podman\.sock/);
  assert.match(withPodman.message, /No container engine answers at \/run\/podman\/podman\.sock: connect ENOENT/);
  assertOneLineWithFix(
    engineCheck({ reachable: false, socket: '/x.sock', reason: 'ENOENT', podmanInstalled: false }),
    /^apt-get install podman runc netavark aardvark-dns iptables/,
  );
  assert.equal(
    engineCheck({ reachable: true, socket: '/x.sock', kind: 'podman', name: 'Podman', version: '4.3.1' }).message,
    'Podman 4.3.1 answers at /x.sock',
  );
});

test('runc, VMs, images, disk and database: failures say what and how to fix', () => {
  assertOneLineWithFix(runcCheck({ installed: false }), /^apt-get install runc$/);
  const tun = vmCheck({ kvmDevice: true, kvm: undefined, tunDevice: false });
  assertOneLineWithFix(tun, /^modprobe tun$/);
  assert.deepEqual(tun.blocks, { vms: true });
  assert.match(vmCheck({ kvmDevice: false, kvm: undefined, tunDevice: true }).message, /^TCG/);
  assert.match(vmCheck({ kvmDevice: true, kvm: true, tunDevice: true }).message, /^KVM/);
  const images = imagesCheck({
    present: ['labhub/shell'],
    missing: ['labhub/vm-launcher', 'tiny'],
    unbuildable: { reason: 'debootstrap is not installed', fix: 'apt-get install debootstrap' },
  });
  assertOneLineWithFix(images, /^apt-get install debootstrap$/);
  assert.equal(images.message, 'labhub/vm-launcher, tiny missing and cannot be built here: debootstrap is not installed');
  assert.deepEqual(images.blocks, { images: ['labhub/vm-launcher', 'tiny'] });
  assert.equal(
    imagesCheck({ present: ['labhub/shell'], missing: ['tiny'], mirror: 'http://deb.debian.org/debian' }).message,
    'labhub/shell present; tiny built on first use from http://deb.debian.org/debian',
  );
  const disk = diskCheck({ dataDir: '/srv/labhub', freeBytes: minFreeBytes / 4 });
  assertOneLineWithFix(disk, /LABHUB_DATA_DIR/);
  assert.match(disk.message, /^Only 0\.5 GiB free in \/srv\/labhub/);
  assert.equal(diskCheck({ dataDir: '/srv/labhub', freeBytes: 10 * 1024 ** 3 }).ok, true);
  const database = databaseCheck({ kind: 'postgres', where: 'db.example:5432/labhub', error: 'connect ECONNREFUSED' });
  assertOneLineWithFix(database, /LABHUB_DATABASE_URL/);
  assert.equal(database.message, 'PostgreSQL at db.example:5432/labhub does not answer: connect ECONNREFUSED');
});

test('a database URL is shown without its credentials', () => {
  assert.equal(databaseWhere('postgres://labhub:s3cret@db.example/labhub'), 'db.example:5432/labhub');
  assert.equal(databaseWhere('postgres://u:p@localhost/labhub?host=/run/postgresql'), '/run/postgresql/labhub');
});
