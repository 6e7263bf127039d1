import type { NormalizedLab } from '../../common/lab/normalized.js';
import type { InstanceRow } from '../store/instances.js';

/** Distinct snapshots kept parsed; a class's instances share a handful of lab versions. */
const maxCached = 512;
const parsed = new Map<string, NormalizedLab>();

/**
 * The lab an instance was started from (its stored snapshot), parsed once per distinct snapshot:
 * listing 1,000 instances parsed each of them twice before, the top cost of `GET /api/instances`
 * (bench/README.md, row 6). The snapshot text itself is the key, so instances started by different
 * labhub versions never share a parse. The result is frozen: it is shared.
 */
export function labOf(row: Pick<InstanceRow, 'lab_snapshot'>): NormalizedLab {
  let lab = parsed.get(row.lab_snapshot);
  if (!lab) {
    lab = deepFreeze(JSON.parse(row.lab_snapshot) as NormalizedLab);
    if (parsed.size >= maxCached) parsed.delete(parsed.keys().next().value as string);
    parsed.set(row.lab_snapshot, lab);
  }
  return lab;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
