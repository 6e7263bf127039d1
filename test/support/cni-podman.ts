import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectEngine } from '../../src/server/runtime/local/engine.js';

/**
 * Podman's API service on a socket of its own, running the CNI network backend, as the old install
 * left Podman (no aardvark-dns: lab networks get `dns_enabled: false`). Same storage as the
 * machine's Podman; only this process uses CNI. Make no networks through it: without CNI's
 * plugins they could not be removed again.
 */
export async function startCniPodman(): Promise<{ socket: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-cni-'));
  const socket = path.join(dir, 'podman.sock');
  const service = spawn('podman', ['--runtime', 'runc', '--network-backend', 'cni', 'system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => service.once('exit', () => resolve()));
  const close = async () => {
    if (service.exitCode === null && service.signalCode === null) service.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await connectEngine(socket, { start: false });
      return { socket, close };
    } catch (error) {
      if (Date.now() > deadline || service.exitCode !== null) {
        await close();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
