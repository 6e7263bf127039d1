import type { Duplex } from 'node:stream';
import { RuntimeError, type InstancePlan, type MachineObservation } from './runtime.js';

/** What every runtime needs alike: plan checks, waiting on parallel work, observation queues, output handling. */

/** Refuses a plan with no machines or with two machines of one name. */
export function validatePlan(plan: InstancePlan): void {
  if (plan.machines.length === 0) throw new RuntimeError('bad_plan', 'The plan has no machines.');
  const seen = new Set<string>();
  for (const machine of plan.machines) {
    if (seen.has(machine.name)) throw new RuntimeError('bad_plan', `Two machines are named "${machine.name}".`);
    seen.add(machine.name);
  }
}

/** Waits for all, then throws the first failure (so no operation is left running unseen). */
export async function settleAll(operations: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** An async iterable of observations fed by push(); it ends when `signal` aborts. */
export class ObservationQueue implements AsyncIterable<MachineObservation> {
  private readonly items: MachineObservation[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  push(observation: MachineObservation): void {
    this.items.push(observation);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MachineObservation> {
    while (!this.signal.aborted) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Whether `stream` has output within `timeoutMs` (false when it ends or closes first). The output
 * stays in the stream's buffer for whoever reads it next.
 */
export function waitForOutput(stream: Duplex, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onReadable = () => {
      if (stream.readableLength > 0) done(true);
    };
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      resolve(answer);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
  });
}

/** Keeps the first `limit` bytes of a command's output, and says when there was more. */
export class OutputHead {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(Buffer.from(kept));
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.truncated ? '\n[output truncated]' : '');
  }
}
