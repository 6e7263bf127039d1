import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';

/**
 * A Docker Engine (Debian's docker.io) of the test's own: its own unix socket, data root, exec root
 * and pid file under a temp dir, no default bridge, and it does not touch ip_forward (where Docker
 * would set the FORWARD policy to DROP under Podman's networks). It keeps --iptables: Docker isolates
 * its networks from each other with iptables, and isolation is part of what the suite checks. The
 * chains it leaves in the host's firewall when it stops are removed again (only those that were not
 * there before), so the machine is left as it was found.
 */
export interface Dockerd {
  socket: string;
  docker: Docker;
  /** Copies images from the machine's Podman into this engine under the names labhub uses (`podman save | docker load`). */
  loadFromPodman(images: string[]): Promise<void>;
  close(): Promise<void>;
}

/** The firewall chains a dockerd makes: filter and nat. */
const dockerChains = { filter: ['DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER'], nat: ['DOCKER'] } as const;

export async function startDockerd(): Promise<Dockerd> {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-dockerd-'));
  const socket = path.join(dir, 'docker.sock');
  const before = existingChains();
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const daemon = spawn(
    'dockerd',
    [
      `--host=unix://${socket}`,
      `--data-root=${path.join(dir, 'data')}`,
      `--exec-root=${path.join(dir, 'exec')}`,
      `--pidfile=${path.join(dir, 'dockerd.pid')}`,
      '--bridge=none',
      '--ip-forward=false',
      '--ip-masq=false',
      '--iptables=true',
      '--userland-proxy=false',
      '--log-level=warn',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const docker = new Docker({ socketPath: socket });
  const stop = async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL');
      await exited;
    }
    removeChainsAddedSince(before);
    // dockerd unmounts its overlays when it stops; anything left mounted under the dir goes first.
    for (const mount of readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((target) => target.startsWith(dir))
      .reverse()) {
      spawnSync('umount', ['-l', mount]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`dockerd exited with code ${daemon.exitCode}: ${tail(path.join(dir, 'dockerd.log'))}`);
      try {
        await docker.ping();
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`dockerd did not answer on ${socket} within 60 s: ${(error as Error).message}; ${tail(path.join(dir, 'dockerd.log'))}`, {
            cause: error,
          });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    socket,
    docker,
    async loadFromPodman(images) {
      for (const image of images) {
        const saved = spawn('podman', ['save', `localhost/${image}:latest`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        saved.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const response = await docker.loadImage(saved.stdout);
        let body = '';
        for await (const chunk of response) body += chunk.toString();
        const code = await new Promise<number | null>((resolve) => (saved.exitCode !== null ? resolve(saved.exitCode) : saved.once('exit', resolve)));
        if (code !== 0) throw new Error(`podman save ${image} failed: ${stderr.trim()}`);
        if (!/Loaded image/.test(body)) throw new Error(`docker load of ${image}: ${body.slice(-300)}`);
        // Podman names its images localhost/NAME; labhub asks for NAME, which Docker would read as docker.io/NAME.
        await docker.getImage(`localhost/${image}:latest`).tag({ repo: image, tag: 'latest' });
      }
    },
    close: stop,
  };
}

function existingChains(): Set<string> {
  const found = new Set<string>();
  for (const table of Object.keys(dockerChains) as Array<keyof typeof dockerChains>) {
    for (const line of spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).stdout.split('\n')) {
      const chain = /^-N (\S+)$/.exec(line)?.[1];
      if (chain && (dockerChains[table] as readonly string[]).includes(chain)) found.add(`${table}/${chain}`);
    }
  }
  return found;
}

/** Removes the jumps to and the chains of Docker's that did not exist before this dockerd started. */
function removeChainsAddedSince(before: Set<string>): void {
  for (const table of Object.keys(dockerChains) as Array<keyof typeof dockerChains>) {
    const added = dockerChains[table].filter((chain) => !before.has(`${table}/${chain}`) && existingChains().has(`${table}/${chain}`));
    if (added.length === 0) continue;
    const rules = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).stdout.split('\n');
    for (const rule of rules) {
      const jump = /^-A (\S+) (.*-j (\S+))$/.exec(rule);
      if (!jump || !(added as readonly string[]).includes(jump[3] ?? '') || (added as readonly string[]).includes(jump[1] ?? '')) continue;
      spawnSync('iptables', ['-t', table, '-D', jump[1] ?? '', ...splitRule(jump[2] ?? '')]);
    }
    for (const chain of added) spawnSync('iptables', ['-t', table, '-F', chain]);
    for (const chain of added) spawnSync('iptables', ['-t', table, '-X', chain]);
  }
}

/** iptables -S prints rules with quoted comments; split them back into arguments. */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ') : '';
}

/** The chains of Docker's now in the host's firewall: for the check that a test left none behind. */
export function dockerChainsNow(): string[] {
  return [...existingChains()].sort();
}
