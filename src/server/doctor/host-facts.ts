import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { connectEngine } from '../runtime/local/engine.js';
import { buildableDisks, buildableImages, imagesDir } from '../runtime/local/images.js';
import type { DatabaseFacts, DiskFacts, EngineFacts, ImageFacts, NetworkFacts, RuncFacts, VmFacts } from './checks.js';

/** Where Debian's podman package looks for its helpers (containers.conf `helper_binaries_dir`). */
const podmanHelperDirs = ['/usr/local/libexec/podman', '/usr/local/lib/podman', '/usr/libexec/podman', '/usr/lib/podman'];

/** The engine's API, connected (and Podman's service started, as the runtime would), or why not. */
export async function engineFacts(socket: string, start: boolean): Promise<{ facts: EngineFacts; docker?: Docker }> {
  try {
    const docker = await connectEngine(socket, { start });
    const version = (await docker.version()) as Docker.DockerVersion & { Components?: Array<{ Name: string; Version: string }> };
    const component = version.Components?.[0];
    const name = component?.Name.replace(/ Engine$/, '') ?? 'Engine';
    const kind = /podman/i.test(name) ? 'podman' : name === 'Engine' ? 'docker' : 'other';
    return {
      facts: { reachable: true, socket, kind, name: kind === 'docker' ? 'Docker Engine' : name, version: component?.Version ?? version.Version },
      docker,
    };
  } catch (error) {
    return {
      facts: {
        reachable: false,
        socket,
        reason: (error as Error).message,
        podmanInstalled: ['/usr/bin/podman', '/usr/local/bin/podman'].some((file) => existsSync(file)),
      },
    };
  }
}

/**
 * Podman's network backend as its API service runs it, and a network made like an instance's
 * (internal, isolated), inspected through the libpod API for `dns_enabled`, then removed. Under
 * CNI no network is made: without CNI's plugins it could not even be removed again.
 */
export async function networkFacts(docker: Docker, engine: EngineFacts & { reachable: true }): Promise<NetworkFacts> {
  if (engine.kind === 'docker') return { engine: 'docker' };
  if (engine.kind === 'other') return { engine: 'other', name: engine.name };
  const info = await libpod<{ host?: { networkBackend?: string } }>(docker, 'GET', '/info');
  const facts: NetworkFacts = {
    engine: 'podman',
    backend: info.host?.networkBackend ?? 'cni',
    aardvarkDns: podmanHelperDirs.some((dir) => existsSync(path.join(dir, 'aardvark-dns'))),
    iptables: ['/usr/sbin/iptables', '/sbin/iptables', '/usr/bin/iptables'].some((file) => existsSync(file)),
  };
  if (facts.backend !== 'netavark' || !facts.aardvarkDns || !facts.iptables) return facts;
  const name = `labhub-doctor-${randomBytes(4).toString('hex')}`;
  try {
    await docker.createNetwork({ Name: name, Internal: true, Options: { isolate: 'true' }, Labels: { 'labhub.io/doctor': 'probe' } });
    try {
      const network = await libpod<{ dns_enabled?: boolean; options?: Record<string, string> }>(docker, 'GET', `/networks/${name}/json`);
      return { ...facts, probe: { dnsEnabled: network.dns_enabled === true, isolated: network.options?.isolate === 'true' } };
    } finally {
      await docker
        .getNetwork(name)
        .remove()
        .catch(() => {});
    }
  } catch (error) {
    return { ...facts, probe: { error: (error as { json?: { message?: string } }).json?.message ?? (error as Error).message } };
  }
}

/** A call to Podman's own (libpod) API, next to the Docker-compatible one on the same socket. */
function libpod<T>(docker: Docker, method: string, apiPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    (docker.modem as { dial(options: object, callback: (error: Error | null, body: unknown) => void): void }).dial(
      { path: `/v4.0.0/libpod${apiPath}`, method, statusCodes: { 200: true, 404: 'not found', 500: 'server error' }, options: {} },
      (error, body) => (error ? reject(error) : resolve(body as T)),
    );
  });
}

export function runcFacts(): RuncFacts {
  const result = spawnSync('runc', ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) return { installed: false };
  return { installed: true, version: result.stdout.split('\n')[0]?.trim() ?? 'runc' };
}

export function vmFacts(kvm: boolean | undefined): VmFacts {
  return { kvmDevice: existsSync('/dev/kvm'), kvm, tunDevice: existsSync('/dev/net/tun') };
}

/**
 * labhub's images in the engine and its VM disks in `<dataDir>/images/`; missing ones are built
 * on first use by images/build.sh with Podman, debootstrap and the machine's Debian mirror.
 */
export async function imageFacts(docker: Docker, engine: EngineFacts & { reachable: true }, dataDir: string): Promise<ImageFacts> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const image of buildableImages) {
    const found = await docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    (found ? present : missing).push(image);
  }
  // debian is built only when a lab needs it (a few minutes); tiny is part of the default set.
  const tinyFiles = buildableDisks.tiny ?? [];
  (tinyFiles.every((file) => existsSync(path.join(dataDir, 'images', file))) ? present : missing).push('tiny');
  if (missing.length === 0) return { present, missing };
  const build = buildability(engine);
  return { present, missing, ...build };
}

function buildability(engine: EngineFacts & { reachable: true }): Pick<ImageFacts, 'unbuildable' | 'mirror'> {
  if (engine.kind !== 'podman') {
    return {
      unbuildable: {
        reason: `labhub builds its images with Podman, and the engine is ${engine.name}`,
        fix: 'npm run images -- build NAME, then podman save localhost/NAME | docker load and docker tag localhost/NAME NAME',
      },
    };
  }
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { stdio: 'ignore' }).status !== 0) {
    return { unbuildable: { reason: 'debootstrap is not installed', fix: 'apt-get install debootstrap' } };
  }
  const mirror = spawnSync('bash', ['-c', `source '${imagesDir}lib/common.sh' && debian_mirror`], { encoding: 'utf8' });
  if (mirror.status !== 0 || !mirror.stdout.trim()) {
    return {
      unbuildable: {
        reason: mirror.stderr.trim().replace(/^error: /, '') || 'no Debian mirror in the apt sources',
        fix: 'add a Debian bookworm source to /etc/apt/sources.list.d/, or set LABHUB_DEBIAN_MIRROR',
      },
    };
  }
  return { mirror: mirror.stdout.trim() };
}

/** Free space for the data dir, measured on the nearest directory that exists (the data dir is made at first use). */
export function diskFacts(dataDir: string): DiskFacts {
  let dir = path.resolve(dataDir);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const stats = statfsSync(dir);
  return { dataDir: path.resolve(dataDir), freeBytes: stats.bavail * stats.bsize };
}

/** Where a PostgreSQL URL points, without its credentials. */
export function databaseWhere(url: string): string {
  if (!URL.canParse(url)) return 'the URL in LABHUB_DATABASE_URL';
  const parsed = new URL(url);
  // A `host` parameter (a unix socket directory) wins over the URL's host, as in libpq.
  const socketDir = parsed.searchParams.get('host');
  const host = socketDir ?? `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  return `${host}${parsed.pathname}`;
}

export async function databaseFacts(databaseUrl: string | undefined, dataDir: string, ping: () => Promise<unknown>): Promise<DatabaseFacts> {
  if (!databaseUrl) return { kind: 'sqlite', file: path.join(path.resolve(dataDir), 'labhub.db') };
  const where = databaseWhere(databaseUrl);
  try {
    await withTimeout(ping(), 5000, 'no answer within 5 s');
    return { kind: 'postgres', where };
  } catch (error) {
    return { kind: 'postgres', where, error: (error as Error).message };
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
