import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kills a process and every process descended from it (a timed-out check's `sh -c` and what it
 * started), by walking /proc in the host's pid namespace. Processes gone meanwhile are skipped.
 */
export function killProcessTree(rootPid: number): void {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const siblings = children.get(parent);
    if (siblings) siblings.push(pid);
    else children.set(parent, [pid]);
  }
  const doomed: number[] = [];
  const walk = (pid: number) => {
    doomed.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(rootPid);
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already, or not ours to see (a remote engine): nothing left to do.
    }
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
