import type { ActivityTracker } from '../gateway/activity.js';
import type { InstanceRow } from '../store/instances.js';
import { labOf } from './snapshot.js';

/**
 * When a running instance stops for inactivity: its idle timeout after the last input or
 * connection change (or after it last changed state, when this replica has seen neither).
 * Null while a browser is connected, when it is not running, or when the lab sets no idle limit.
 */
export function idleDeadline(row: InstanceRow, activity: ActivityTracker): number | null {
  if (row.status !== 'running' || row.desired !== 'running') return null;
  const idleMs = labOf(row).limits.idleTimeoutSeconds * 1000;
  if (idleMs <= 0 || activity.connections(row.id) > 0) return null;
  return Math.max(activity.lastActivity(row.id) ?? 0, row.updated_at) + idleMs;
}
