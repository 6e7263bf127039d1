/**
 * Durations and Kubernetes-style quantities as lab files write them, and their parsers.
 * The patterns are used by the JSON Schema (so editors flag bad values) and the parsers turn
 * a value that matched into a number. Parsers return undefined for anything else.
 */

/** `90m`, `2h`, `1h30m`, `45s`, `1d`: days, hours, minutes, seconds in that order, each at most once. */
export const durationPattern = '^(?=\\d)(\\d{1,6}d)?(\\d{1,6}h)?(\\d{1,6}m)?(\\d{1,6}s)?$';

/** `1`, `0.5`, `500m` (millicores); numbers are handled by the schema's number branch. */
export const cpuPattern = '^([0-9]{1,6}(\\.[0-9]{1,3})?|\\.[0-9]{1,3}|[0-9]{1,9}m)$';

/** `512Mi`, `1Gi`, `1.5Gi`, `500M`: a unit is required, because a bare `512` would mean 512 bytes. */
export const bytesPattern = '^[0-9]{1,9}(\\.[0-9]{1,6})?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)$';

const durationRegExp = new RegExp(durationPattern);
const cpuRegExp = new RegExp(cpuPattern);
const bytesRegExp = new RegExp(bytesPattern);

const secondsPerUnit: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds of a duration like `1h30m`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!durationRegExp.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([dhms])/g)) seconds += Number(amount) * (secondsPerUnit[unit ?? 's'] ?? 1);
  return seconds;
}

/** The shortest duration text for a number of seconds, e.g. 5400 → `1h30m`. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds <= 0) return '0s';
  let rest = Math.round(totalSeconds);
  let text = '';
  for (const [unit, size] of Object.entries(secondsPerUnit)) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}

/** Millicores of a CPU amount: `1` → 1000, `0.5` → 500, `500m` → 500; undefined when it is not one. */
export function parseCpu(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (!cpuRegExp.test(value)) return undefined;
  return value.endsWith('m') ? Number(value.slice(0, -1)) : Math.round(Number(value) * 1000);
}

const bytesPerUnit: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  k: 1000,
  M: 1000 ** 2,
  G: 1000 ** 3,
  T: 1000 ** 4,
  P: 1000 ** 5,
};

/** Bytes of a size like `512Mi` or `1.5G`; undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  if (!bytesRegExp.test(text)) return undefined;
  const match = /^([0-9.]+)([A-Za-z]+)$/.exec(text);
  if (!match) return undefined;
  const factor = bytesPerUnit[match[2] ?? ''];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** A size in the largest binary unit that keeps it whole, e.g. 268435456 → `256Mi`. */
export function formatBytes(bytes: number): string {
  for (const unit of ['Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = bytesPerUnit[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}`;
}
