import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { containerUlimits } from '../engine.js';
import { launcherImage, type Accel } from './launcher.js';
import { LogLines } from './launcher-log.js';

export interface AccelProbe {
  accel: Accel;
  /** Why, in words, for the log. */
  reason: string;
}

const probeTimeoutMs = 30_000;

/**
 * Finds out once whether VMs can use KVM here. `/dev/kvm` can exist and still hang a guest
 * (docs/environment.md), so the launcher boots `kernel` under KVM with a 5 s limit
 * (`VM_ACCEL_PROBE_ONLY=1`) in a throwaway container and prints `labhub: accel=kvm|tcg`.
 * Rejects only when the launcher itself cannot run (then no VM can).
 */
export async function probeAccel(docker: Docker, kernel: string | undefined): Promise<AccelProbe> {
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', reason: 'this host has no /dev/kvm' };
  const name = `labhub-kvm-probe-${randomBytes(4).toString('hex')}`;
  const container = await docker.createContainer({
    name,
    Image: launcherImage,
    Env: ['VM_ACCEL_PROBE_ONLY=1', 'VM_ACCEL=auto', ...(kernel ? [`VM_PROBE_KERNEL=${kernel}`] : [])],
    HostConfig: {
      NetworkMode: 'none',
      Ulimits: containerUlimits(),
      Devices: [{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }],
      Binds: kernel ? [`${kernel}:${kernel}:ro`] : [],
    },
  });
  try {
    await container.start();
    const deadline = Date.now() + probeTimeoutMs;
    while ((await container.inspect()).State.Running) {
      if (Date.now() > deadline) return { accel: 'tcg', reason: `the KVM probe did not finish within ${probeTimeoutMs / 1000} s` };
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const reader = new LogLines();
    const lines = [...reader.push(Buffer.from(raw)), ...reader.end()];
    const verdict = lines.map((line) => /^labhub: accel=(kvm|tcg)$/.exec(line)?.[1]).find(Boolean);
    if (verdict === 'kvm') return { accel: 'kvm', reason: 'a test kernel booted under KVM' };
    if (verdict === 'tcg') return { accel: 'tcg', reason: `/dev/kvm exists but a test kernel did not boot under KVM within 5 s${kernel ? '' : ' (boot-sector test only)'}` };
    throw new Error(`the launcher did not run: ${lines.slice(-2).join(' / ') || 'no output'}`);
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
