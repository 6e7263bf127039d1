import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

export const benchRoot = path.dirname(path.dirname(new URL(import.meta.url).pathname));
export const repoRoot = path.dirname(benchRoot);

export interface Child<Ready> {
  process: ChildProcess;
  pid: number;
  /** The JSON line the child printed when it was ready. */
  ready: Ready;
  /** Every later JSON line the child prints. */
  onLine(listener: (line: Record<string, unknown>) => void): void;
  /** Sends a line to the child's stdin. */
  tell(line: string): void;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript file of bench/ (through tsx) or any command, and waits for its first JSON
 * line with `ready: true`. `nodeArgs` go before the script (e.g. --cpu-prof).
 */
export function startChild<Ready>(command: { script: string; nodeArgs?: string[] } | { argv: string[]; readyWhen: RegExp }, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Child<Ready>> {
  const argv = 'script' in command ? [process.execPath, ...(command.nodeArgs ?? []), '--import', 'tsx', path.join(benchRoot, command.script)] : command.argv;
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const listeners: ((line: Record<string, unknown>) => void)[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${argv.join(' ')} was not ready in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`${argv.join(' ')} exited with ${code}: ${stderr}`)));
    let isReady = false;
    const onText = (text: string) => {
      if (isReady) return;
      if ('readyWhen' in command) {
        if (command.readyWhen.test(text)) done({} as Ready);
        return;
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (parsed.ready) done(parsed as Ready);
    };
    const done = (ready: Ready) => {
      isReady = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        process: child,
        pid: child.pid as number,
        ready,
        onLine: (listener) => listeners.push(listener),
        tell: (line) => child.stdin?.write(`${line}\n`),
        stop: () =>
          new Promise<void>((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
            const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolveStop();
            });
            child.kill('SIGTERM');
          }),
      });
    };
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!isReady) return onText(line);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        for (const listener of listeners) listener(parsed);
      } catch {
        // Not a JSON line: the child's own chatter.
      }
    });
    if ('readyWhen' in command) readline.createInterface({ input: child.stderr! }).on('line', onText);
  });
}

const clockTicks = 100;

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: (utime + stime) / clockTicks, rssBytes: rssKb * 1024 };
}

export { freePort } from '../../test/support/free-port.js';

/** Resolves once something accepts TCP connections on the loopback port (a server that logs before it binds). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
