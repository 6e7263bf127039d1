import type { DoctorCheck } from '../../common/doctor.js';

/**
 * The host checks' wording, from facts gathered by host-facts.ts: pure, so each sentence is
 * unit-tested. A failed check says in one line what is wrong and the command that fixes it.
 */

/** A check result with what its failure keeps from starting. */
export interface HostCheck extends DoctorCheck {
  /** every: no lab can start; vms: labs with VMs cannot; images: labs using these images or disks cannot. */
  blocks?: { every: true } | { vms: true } | { images: string[] };
}

/** The command that moves Podman to netavark + aardvark-dns (scripts/setup-engine.sh, which install.sh's steps run). */
export const setupEngineCommand = 'bash scripts/setup-engine.sh';

export type EngineFacts =
  | { reachable: true; socket: string; kind: 'podman' | 'docker' | 'other'; name: string; version: string }
  | { reachable: false; socket: string; reason: string; podmanInstalled: boolean };

export function engineCheck(facts: EngineFacts): HostCheck {
  const base = { id: 'engine', title: 'Container engine' } as const;
  if (facts.reachable) return { ...base, ok: true, message: `${facts.name} ${facts.version} answers at ${facts.socket}` };
  const fix = facts.podmanInstalled
    ? `podman --runtime runc system service --time=0 unix://${facts.socket} (run it in a terminal to see why it does not start)`
    : 'apt-get install podman runc netavark aardvark-dns iptables (labhub then starts Podman itself), or set LABHUB_ENGINE_SOCKET to a running Docker Engine';
  return { ...base, ok: false, message: `No container engine answers at ${facts.socket}: ${facts.reason}`, fix, blocks: { every: true } };
}

export type NetworkFacts =
  | { engine: 'docker' }
  | { engine: 'other'; name: string }
  | {
      engine: 'podman';
      /** The backend Podman's API service runs (`host.networkBackend`): netavark or cni. */
      backend: string;
      aardvarkDns: boolean;
      iptables: boolean;
      /** A network made the way labhub makes an instance's, inspected and removed; absent when not tried (not netavark). */
      probe?: { dnsEnabled: boolean; isolated: boolean } | { error: string };
    };

export function networkCheck(facts: NetworkFacts): HostCheck {
  const base = { id: 'network', title: 'Lab networks: names and isolation' } as const;
  const broken = (message: string, fix: string): HostCheck => ({ ...base, ok: false, message, fix, blocks: { every: true } });
  if (facts.engine === 'docker')
    return { ...base, ok: true, message: "Docker's bridge networks: embedded DNS resolves machine names; networks are isolated from each other" };
  if (facts.engine === 'other')
    return { ...base, ok: true, message: `${facts.name}: cannot check its networks; labhub expects names to resolve and instances to be isolated` };
  if (facts.backend !== 'netavark') {
    return broken(
      `Podman runs its ${facts.backend.toUpperCase()} network backend, whose lab networks have no DNS (dns_enabled: false): machines of a lab cannot find each other by name`,
      setupEngineCommand,
    );
  }
  if (!facts.aardvarkDns)
    return broken('Podman runs netavark without aardvark-dns: machines of a lab cannot find each other by name', 'apt-get install aardvark-dns');
  if (!facts.iptables) return broken('netavark finds no iptables: no lab network can be set up', 'apt-get install iptables');
  const probe = facts.probe;
  if (!probe) return { ...base, ok: true, message: 'netavark with aardvark-dns' };
  if ('error' in probe)
    return broken(
      `A test network like labhub's could not be made: ${probe.error}`,
      "podman network create labhub-test && podman network rm labhub-test (shows the engine's own error)",
    );
  if (!probe.dnsEnabled)
    return broken("A test network like labhub's gets dns_enabled: false: machines of a lab cannot find each other by name", setupEngineCommand);
  if (!probe.isolated)
    return broken(
      "A test network like labhub's is not isolated from other networks: instances of different learners could reach each other",
      'apt-get install --only-upgrade netavark',
    );
  return { ...base, ok: true, message: 'netavark with aardvark-dns: machines resolve each other by name; instance networks are isolated' };
}

export type RuncFacts = { installed: true; version: string } | { installed: false };

export function runcCheck(facts: RuncFacts): HostCheck {
  const base = { id: 'runc', title: 'OCI runtime (runc)' } as const;
  if (facts.installed) return { ...base, ok: true, message: facts.version };
  return {
    ...base,
    ok: false,
    message: "runc is not installed: Podman's default crun cannot start containers on hosts like this one",
    fix: 'apt-get install runc',
    blocks: { every: true },
  };
}

export interface VmFacts {
  kvmDevice: boolean;
  /** The runtime's verdict once it probed KVM (first VM start): true KVM, false TCG, undefined not yet. */
  kvm: boolean | undefined;
  tunDevice: boolean;
}

export function vmCheck(facts: VmFacts): HostCheck {
  const base = { id: 'vm', title: 'Virtual machines: KVM or TCG' } as const;
  if (!facts.tunDevice)
    return { ...base, ok: false, message: 'This host has no /dev/net/tun: VMs cannot join their lab network', fix: 'modprobe tun', blocks: { vms: true } };
  if (facts.kvm === true) return { ...base, ok: true, message: 'KVM: a test kernel booted under KVM' };
  if (facts.kvm === false) return { ...base, ok: true, message: 'TCG (software emulation): KVM did not boot a test kernel here; VMs run, more slowly' };
  if (facts.kvmDevice) return { ...base, ok: true, message: '/dev/kvm exists: the first VM start tries a test kernel under KVM, else VMs use TCG' };
  return { ...base, ok: true, message: 'TCG (software emulation): no /dev/kvm; VMs run, more slowly' };
}

export interface ImageFacts {
  /** labhub's images and disks, present or not. */
  present: string[];
  missing: string[];
  /** Why missing ones cannot be built here, with its fix; undefined when they can (from `mirror`). */
  unbuildable?: { reason: string; fix: string };
  mirror?: string;
}

export function imagesCheck(facts: ImageFacts): HostCheck {
  const base = { id: 'images', title: 'Base images' } as const;
  const present = facts.present.length > 0 ? `${facts.present.join(', ')} present` : '';
  if (facts.missing.length === 0) return { ...base, ok: true, message: present || 'no images needed' };
  if (!facts.unbuildable) {
    const built = `${facts.missing.join(', ')} built on first use from ${facts.mirror ?? 'the Debian mirror'}`;
    return { ...base, ok: true, message: present ? `${present}; ${built}` : built };
  }
  return {
    ...base,
    ok: false,
    message: `${facts.missing.join(', ')} missing and cannot be built here: ${facts.unbuildable.reason}`,
    fix: facts.unbuildable.fix,
    blocks: { images: facts.missing },
  };
}

/** Below this, VM overlays and image builds fail part way. */
export const minFreeBytes = 2 * 1024 ** 3;

export interface DiskFacts {
  dataDir: string;
  freeBytes: number;
}

export function diskCheck(facts: DiskFacts): HostCheck {
  const base = { id: 'disk', title: 'Free disk for VM overlays and images' } as const;
  const free = `${(facts.freeBytes / 1024 ** 3).toFixed(1)} GiB free in ${facts.dataDir}`;
  if (facts.freeBytes >= minFreeBytes) return { ...base, ok: true, message: free };
  return {
    ...base,
    ok: false,
    message: `Only ${free}: VM overlays and image builds need at least ${minFreeBytes / 1024 ** 3} GiB`,
    fix: `free space on that disk (du -xsh ${facts.dataDir}/* shows what uses it), or set LABHUB_DATA_DIR to a larger one`,
    blocks: { every: true },
  };
}

export type DatabaseFacts = { kind: 'sqlite'; file: string } | { kind: 'postgres'; where: string; error?: string };

export function databaseCheck(facts: DatabaseFacts): HostCheck {
  const base = { id: 'database', title: 'Database' } as const;
  if (facts.kind === 'sqlite') return { ...base, ok: true, message: `SQLite in ${facts.file}` };
  if (!facts.error) return { ...base, ok: true, message: `PostgreSQL answers at ${facts.where}` };
  return {
    ...base,
    ok: false,
    message: `PostgreSQL at ${facts.where} does not answer: ${facts.error}`,
    fix: `start PostgreSQL at ${facts.where}, or correct LABHUB_DATABASE_URL`,
  };
}

/** A check as one line of the log or of `labhub doctor`. */
export function checkLine(check: DoctorCheck): string {
  return check.ok ? `ok    ${check.title}: ${check.message}` : `FAIL  ${check.title}: ${check.message}. Fix: ${check.fix ?? 'see docs/operating.md'}`;
}
