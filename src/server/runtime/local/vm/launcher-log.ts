import type Docker from 'dockerode';
import { RuntimeError } from '../../runtime.js';

/**
 * Reading what a launcher says (images/vm-launcher/…/labhub-launch): `labhub: booted after N s`
 * once the guest writes to its serial console, `labhub: error: …` as its last words when the VM
 * does not boot or QEMU fails. The engine's log stream of a non-TTY container is multiplexed:
 * frames of [stream, 0, 0, 0, length (u32 BE)] + payload.
 */
export class LogLines {
  private pending: Buffer = Buffer.alloc(0);
  private partial = '';

  /** The complete lines in `chunk` (and what came before it). */
  push(chunk: Buffer): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let text = '';
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      text += this.pending.subarray(8, 8 + length).toString('utf8');
      this.pending = this.pending.subarray(8 + length);
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map((line) => line.replace(/\r$/, ''));
  }

  /** The last line when the output did not end with a newline. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}

const booted = /^labhub: booted after ([\d.]+) s/;
const errorLine = /^labhub: error: (.*)$/;

async function logLines(docker: Docker, name: string, tail?: number): Promise<string[]> {
  const raw = (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false, ...(tail !== undefined && { tail }) })) as unknown as Buffer;
  const reader = new LogLines();
  return [...reader.push(Buffer.from(raw)), ...reader.end()];
}

/** How many lines the launcher has written so far: a restarted container keeps the lines of earlier runs. */
export async function logLineCount(docker: Docker, name: string): Promise<number> {
  return (await logLines(docker, name)).length;
}

/** The launcher's last `labhub: error:` words, if any. */
export async function lastLauncherError(docker: Docker, name: string): Promise<string | undefined> {
  try {
    const lines = await logLines(docker, name, 20);
    for (let i = lines.length - 1; i >= 0; i--) {
      const match = errorLine.exec(lines[i] ?? '');
      if (match?.[1]) return match[1];
    }
  } catch {
    // The container is gone: there is nothing more to say.
  }
  return undefined;
}

/**
 * Follows the launcher's output from line `skip` on until the guest has booted (resolves with
 * the boot time in seconds), the launcher exits (rejects with its error words) or `timeoutMs`
 * passes (rejects). A log stream that ends while the launcher still runs is followed again.
 */
export function waitForBoot(docker: Docker, name: string, machine: string, skip: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let lastError: string | undefined;
    let settled = false;
    let stream: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream?.destroy();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new RuntimeError('failed', `Machine "${machine}" did not finish booting within ${Math.round(timeoutMs / 1000)} s.`, { machine }))),
      timeoutMs,
    );
    const follow = (skipLines: number) => {
      let seen = 0;
      const ended = async () => {
        if (settled) return;
        const info = await docker
          .getContainer(name)
          .inspect()
          .catch(() => undefined);
        if (info?.State.Running) {
          // The log stream broke, the launcher did not: follow it again after the lines already read.
          setTimeout(() => follow(Math.max(seen, skipLines)), 200);
          return;
        }
        const why = lastError ?? (await lastLauncherError(docker, name)) ?? `its launcher exited with code ${info?.State.ExitCode ?? 'unknown'}`;
        settle(() => reject(new RuntimeError('failed', `Machine "${machine}" failed to start: ${why}.`, { machine })));
      };
      docker
        .getContainer(name)
        .logs({ stdout: true, stderr: true, follow: true })
        .then((logs) => {
          stream = logs as unknown as NodeJS.ReadableStream & { destroy(): void };
          if (settled) return stream.destroy();
          const reader = new LogLines();
          stream.on('data', (chunk: Buffer) => {
            for (const line of reader.push(chunk)) {
              if (seen++ < skipLines) continue;
              const error = errorLine.exec(line);
              if (error?.[1]) lastError = error[1];
              const boot = booted.exec(line);
              if (boot) settle(() => resolve(Number(boot[1])));
            }
          });
          stream.on('end', () => void ended());
          stream.on('error', () => void ended());
        })
        .catch((error: unknown) => settle(() => reject(new RuntimeError('failed', `Cannot follow the launcher of machine "${machine}": ${(error as Error).message}`, { machine, cause: error }))));
    };
    follow(skip);
  });
}
