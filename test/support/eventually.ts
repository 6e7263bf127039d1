import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface EventuallyOptions {
  /** Give up after this long. Generous by default: the machine running the tests is shared. */
  timeoutMs?: number;
  /** Time between two looks. */
  intervalMs?: number;
}

/**
 * Looks at `observe()` until `holds` accepts what it returns, and returns that value; fails after
 * the deadline with `what` and the last value it saw (or the last error `observe` threw). For
 * waiting on something that will happen, never for proving that something did not: for that,
 * make a later event happen and check the order.
 */
export async function eventually<T>(
  what: string,
  observe: () => T | Promise<T>,
  holds: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 100 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await observe();
      if (holds(value)) return value;
      last = `last seen: ${inspect(value, { depth: 4, breakLength: Infinity })}`;
    } catch (error) {
      last = `last error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${last}`);
    await delay(intervalMs);
  }
}
