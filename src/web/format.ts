/** Quantities and times as people read them: "1 h 30 min", "512 MiB", "0.5 CPU", "in 5 min". */

/** A duration in seconds as "2 h", "1 h 30 min", "45 s". */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ') || '0 s';
}

/** Thousandths of a CPU as "500m CPU" reads badly; "0.5 CPU" and "2 CPUs" do not. */
export function formatCpu(millis: number): string {
  const cpus = millis / 1000;
  const shown = Number.isInteger(cpus) ? String(cpus) : cpus.toFixed(cpus < 1 ? 2 : 1).replace(/0+$/, '');
  return `${shown} ${cpus === 1 || cpus < 1 ? 'CPU' : 'CPUs'}`;
}

/** Bytes in the unit lab files use: 256 MiB, 1 GiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "in 5 minutes", "3 hours ago", relative to now. */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(Math.round(seconds), 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A moment in full, for a tooltip or a `<time>` element's text. */
export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** "1 problem", "3 problems". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A countdown as clocks show it: "1:02:03", "52:14", "0:09"; never negative. */
export function formatCountdown(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

const clockTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** The time of day of a moment: "15:32" or "3:32 PM", as the browser's locale writes it. */
export function formatClockTime(iso: string): string {
  return clockTime.format(new Date(iso));
}
