import { randomBytes } from 'node:crypto';
import type { ExecResult, MachineRef } from '../runtime/runtime.js';

/** A machine's terminal that labhub types into itself, shared with whoever watches it (TerminalSessions.borrow). */
export interface BorrowedTerminal {
  write(text: string): void;
  /** Gives the terminal back; its output no longer reaches the borrower. */
  release(): void;
}

/** Where console checks get a machine's terminal: the gateway's shared sessions. */
export interface ConsoleSource {
  borrow(ref: MachineRef, onOutput: (chunk: Buffer) => void): Promise<BorrowedTerminal>;
}

export interface ConsoleCheckOptions {
  timeoutMs: number;
  maxOutputBytes: number;
}

/** After a timeout, how long Ctrl-C has to bring the shell back before the check gives the console up anyway. */
const interruptGraceMs = 3000;

/**
 * Runs a check's shell command through a machine's terminal (a VM's serial console, for VMs
 * without a guest agent), the way a person would: it types one command line that prints a start
 * marker, runs the command with `sh -c` (input from /dev/null, so it cannot eat what is typed
 * next), then prints an end marker with the exit status. Both markers carry a random id and are
 * printed from two halves, so the echo of the typed line never matches them; the output is what
 * lies between the markers. Past the timeout it types Ctrl-C, which ends the command and gives
 * the prompt back, and reports `timedOut`.
 *
 * It needs a shell prompt on the console: a console at a login prompt or inside a full-screen
 * program makes the check time out, and its output says so. Whoever watches the terminal sees
 * the check typed there.
 */
export async function runThroughConsole(consoles: ConsoleSource, ref: MachineRef, command: string, options: ConsoleCheckOptions): Promise<ExecResult> {
  const id = randomBytes(6).toString('hex');
  const reader = new MarkedOutput(id, options.maxOutputBytes);
  let onChange = () => {};
  const deadline = Date.now() + options.timeoutMs;

  const borrowing = consoles.borrow(ref, (chunk) => {
    reader.push(chunk);
    onChange();
  });
  const terminal = await withDeadline(borrowing, deadline);
  if (!terminal) {
    void borrowing.then((late) => late.release(), () => {});
    return { exitCode: 124, output: `[the console of ${ref.machine} did not answer in time: is another labhub server holding it?]`, timedOut: true };
  }
  const finished = () => reader.exitCode !== undefined;
  const waitUntilFinished = (until: number) =>
    new Promise<boolean>((resolve) => {
      if (finished()) return resolve(true);
      const timer = setTimeout(() => resolve(finished()), Math.max(0, until - Date.now()));
      onChange = () => {
        if (!finished()) return;
        clearTimeout(timer);
        resolve(true);
      };
    });

  try {
    // Ctrl-U first: whatever the learner had half-typed on the line goes, rather than prefixing the check.
    terminal.write(`\x15printf '%s%s\\n' lhb ${id}; sh -c ${shellQuote(command)} </dev/null 2>&1; printf '%s%s:%s\\n' lhe ${id} "$?"\r`);
    if (await waitUntilFinished(deadline)) return { exitCode: reader.exitCode ?? 0, output: reader.output(), timedOut: false };
    terminal.write('\x03');
    await waitUntilFinished(Date.now() + interruptGraceMs);
    if (!reader.started) {
      return { exitCode: 124, output: `[the check did not start on ${ref.machine}'s console: it needs a shell prompt there]\n${reader.beforeStart()}`.trim(), timedOut: true };
    }
    return { exitCode: 124, output: reader.output(), timedOut: true };
  } finally {
    onChange = () => {};
    terminal.release();
  }
}

/** What the console prints after a check is typed: the output between its start and end markers, and the exit status. */
class MarkedOutput {
  private head = Buffer.alloc(0);
  private body = Buffer.alloc(0);
  /** The last bytes seen, where the end marker is looked for. */
  private window = '';
  started = false;
  exitCode: number | undefined;

  constructor(
    private readonly id: string,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.exitCode !== undefined) return;
    if (this.started) return this.take(chunk);
    this.head = Buffer.concat([this.head, chunk]);
    const at = this.head.indexOf(`lhb${this.id}`);
    const lineEnd = at === -1 ? -1 : this.head.indexOf('\n', at);
    if (lineEnd === -1) {
      if (this.head.length > 8192) this.head = this.head.subarray(this.head.length - 4096);
      return;
    }
    this.started = true;
    const rest = this.head.subarray(lineEnd + 1);
    this.head = Buffer.alloc(0);
    this.take(rest);
  }

  /** Output as the check result: the head kept (as `exec` keeps it), the end marker cut. */
  output(): string {
    const text = this.body.toString('utf8');
    const marker = text.indexOf(`lhe${this.id}:`);
    return cleanOutput(marker === -1 ? text : text.slice(0, marker), this.maxBytes);
  }

  /** What the console showed when the check never started (a login prompt, a program in the way). */
  beforeStart(): string {
    return cleanOutput(this.head.subarray(-512).toString('utf8'), this.maxBytes);
  }

  private take(chunk: Buffer): void {
    // Room for the end marker beyond the limit, so it is cut rather than kept half.
    if (this.body.length < this.maxBytes + 64) this.body = Buffer.concat([this.body, chunk.subarray(0, this.maxBytes + 64 - this.body.length)]);
    this.window = (this.window + chunk.toString('latin1')).slice(-256);
    const end = new RegExp(`lhe${this.id}:(\\d+)\\r?\\n`).exec(this.window);
    if (end) this.exitCode = Number(end[1]);
  }
}

/** Serializes work per key: one console check at a time per machine, since they share one console. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/** A POSIX shell single-quoted word. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Terminal output as a check result: line ends without carriage returns, no colour codes, at most `maxBytes`. */
function cleanOutput(text: string, maxBytes: number): string {
  const plain = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r/g, '');
  const bytes = Buffer.from(plain, 'utf8');
  return (bytes.length > maxBytes ? bytes.subarray(0, maxBytes).toString('utf8') : plain).trim();
}
