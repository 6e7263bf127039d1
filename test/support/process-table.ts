import { readdirSync, readFileSync } from 'node:fs';

/**
 * The process runtime's labels: every process of a machine carries them in its environment, so
 * /proc alone finds a machine's processes again (after a crash of the runtime too), as an
 * engine finds containers by their labels.
 */
export const processLabels = {
  /** The runtime's root directory: runtimes with other roots (other test files) never see each other's machines. */
  root: 'LABHUB_PROCESS_ROOT',
  instance: 'LABHUB_PROCESS_INSTANCE',
  machine: 'LABHUB_PROCESS_MACHINE',
  /** `init` on the process that holds the machine's namespaces: the machine runs while it lives. */
  role: 'LABHUB_PROCESS_ROLE',
} as const;

export interface MachineProcess {
  pid: number;
  instanceId: string;
  machine: string;
  init: boolean;
  /** From /proc/<pid>/stat: `T` is stopped by a signal (paused), `Z` a zombie. */
  state: string;
}

/** Every live process labelled with `root`, read from /proc now. Zombies carry no environment any more and are left out. */
export function machineProcesses(root: string): MachineProcess[] {
  const found: MachineProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const env = environOf(pid);
    if (env?.get(processLabels.root) !== root) continue;
    const instanceId = env.get(processLabels.instance);
    const machine = env.get(processLabels.machine);
    const state = stateOf(pid);
    if (!instanceId || !machine || !state || state === 'Z' || state === 'X') continue;
    found.push({ pid, instanceId, machine, init: env.get(processLabels.role) === 'init', state });
  }
  return found;
}

/** Sends `signal` to each pid, skipping those gone meanwhile. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already: nothing left to signal.
    }
  }
}

/** The "Max address space" limit of a process in bytes (what the process runtime sets as a machine's memory limit). */
export function addressSpaceLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max address space'));
  return Number(line?.split(/\s{2,}/)[1]);
}

function environOf(pid: number): Map<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  if (!raw.includes(processLabels.root)) return undefined;
  const env = new Map<string, string>();
  for (const pair of raw.split('\0')) {
    const at = pair.indexOf('=');
    if (at > 0) env.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return env;
}

function stateOf(pid: number): string | undefined {
  try {
    // "pid (comm) state …": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
