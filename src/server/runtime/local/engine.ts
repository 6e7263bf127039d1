import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { FastifyBaseLogger } from 'fastify';
import { RuntimeError } from '../runtime.js';

/** Podman's rootful API socket: labhub's default engine. */
export const defaultEngineSocket = '/run/podman/podman.sock';

/**
 * Connects to the Docker-compatible engine API on `socketPath`. When nothing answers and
 * Podman is installed, starts `podman system service` on that socket (with runc, which works
 * where crun does not: docs/environment.md) and waits for it, so a fresh machine needs no setup.
 * The service is detached: it outlives labhub, and the next start finds it answering.
 */
export async function connectEngine(socketPath: string, options: { start: boolean; log?: FastifyBaseLogger }): Promise<Docker> {
  const docker = new Docker({ socketPath, timeout: 0 });
  if (await answers(docker)) return docker;
  const podman = findPodman();
  if (!options.start) throw new RuntimeError('engine_unavailable', `No container engine answers at ${socketPath}. Start Podman's or Docker's API service, or set LABHUB_ENGINE_SOCKET.`);
  if (!podman) {
    throw new RuntimeError('engine_unavailable', `No container engine answers at ${socketPath}, and Podman is not installed. Start Podman's or Docker's API service, or set LABHUB_ENGINE_SOCKET.`);
  }
  options.log?.info({ socketPath }, 'starting podman system service');
  mkdirSync(path.dirname(socketPath), { recursive: true });
  const args = [...(hasRunc() ? ['--runtime', 'runc'] : []), 'system', 'service', '--time=0', `unix://${socketPath}`];
  const child = spawn(podman, args, { detached: true, stdio: 'ignore' });
  child.unref();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (await answers(docker)) return docker;
  }
  throw new RuntimeError('engine_unavailable', `Started "podman system service" on ${socketPath}, but it did not answer within 20 s.`);
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))]);
    return true;
  } catch {
    return false;
  }
}

function findPodman(): string | undefined {
  return ['/usr/bin/podman', '/usr/local/bin/podman'].find((candidate) => existsSync(candidate));
}

function hasRunc(): boolean {
  return spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Resource limits the engine may not raise here (no CAP_SYS_RESOURCE: docs/environment.md), so every
 * container gets labhub's own hard limits, capped at sane values, instead of the engine's defaults.
 * Read once: they cannot change while labhub runs.
 */
export function containerUlimits(): { Name: string; Soft: number; Hard: number }[] {
  ulimits ??= readUlimits();
  return ulimits;
}

let ulimits: { Name: string; Soft: number; Hard: number }[] | undefined;

function readUlimits(): { Name: string; Soft: number; Hard: number }[] {
  const read = (flag: string, fallback: number) => {
    const result = spawnSync('sh', ['-c', `ulimit -H${flag}`], { encoding: 'utf8' });
    const value = result.stdout.trim();
    return value === 'unlimited' ? fallback : Number(value) || fallback;
  };
  const nofile = Math.min(read('n', 4096), 65536);
  const nproc = Math.min(read('u', 4096), 65536);
  return [
    { Name: 'nofile', Soft: nofile, Hard: nofile },
    { Name: 'nproc', Soft: nproc, Hard: nproc },
  ];
}
