import { LabhubError } from '../errors.js';
import type { InstanceChanges, InstanceRow } from '../store/instances.js';

/**
 * The time limit counts the time an instance's machines spend running (or paused, which holds
 * their memory), never the time they take to build or boot, nor the time the instance is
 * stopped (docs/decisions/0020-time-limit-counts-running-time.md). The row keeps the running
 * time allowed (the lab's limit plus extensions), the time used by finished running periods,
 * and when the current one began; `expires_at` is the deadline while the clock runs, else null.
 */
type Clock = Pick<InstanceRow, 'time_allowed_ms' | 'time_used_ms' | 'clock_started_at' | 'expires_at'>;

/** An extension adds half the lab's time limit, and the time allowed grows to at most this many time limits. */
export const maxTimeLimits = 3;

/** The clock of a new instance: the lab's limit allowed, nothing used, not counting yet. */
export function newClock(limitMs: number): Clock {
  return { time_allowed_ms: limitMs > 0 ? limitMs : null, time_used_ms: 0, clock_started_at: null, expires_at: null };
}

/** Starts counting (the machines are running); nothing changes when it already counts or there is no limit. */
export function startClock(row: Clock, now: number): InstanceChanges {
  if (row.time_allowed_ms === null || row.clock_started_at !== null) return {};
  return { clock_started_at: now, expires_at: now + row.time_allowed_ms - row.time_used_ms };
}

/** Stops counting (the machines stop, or failed): the running period is added to the time used. */
export function stopClock(row: Clock, now: number): InstanceChanges {
  if (row.clock_started_at === null) return {};
  const used = Math.min(row.time_used_ms + Math.max(0, now - row.clock_started_at), row.time_allowed_ms ?? Number.POSITIVE_INFINITY);
  return { time_used_ms: used, clock_started_at: null, expires_at: null };
}

/** Running time left, in ms; null without a limit. */
export function timeLeftMs(row: Clock, now: number): number | null {
  if (row.time_allowed_ms === null) return null;
  const running = row.clock_started_at === null ? 0 : Math.max(0, now - row.clock_started_at);
  return Math.max(0, row.time_allowed_ms - row.time_used_ms - running);
}

/** Half the lab's limit more, up to `maxTimeLimits` limits in all; refused once there. */
export function extendClock(row: Clock, limitMs: number): InstanceChanges {
  if (row.time_allowed_ms === null || limitMs <= 0) throw new LabhubError('LABHUB_CONFLICT', 'This instance has no time limit.');
  const cap = maxTimeLimits * limitMs;
  const allowed = Math.min(row.time_allowed_ms + limitMs / 2, cap);
  if (allowed <= row.time_allowed_ms) {
    throw new LabhubError('LABHUB_LIMIT_REACHED', `This instance cannot be extended further: it may run ${formatHours(cap)} in all.`, {
      details: { limit: 'maxTime', maxSeconds: cap / 1000 },
    });
  }
  return { time_allowed_ms: allowed, ...(row.clock_started_at !== null && { expires_at: row.clock_started_at + allowed - row.time_used_ms }) };
}

function formatHours(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}
