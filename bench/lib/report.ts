/** One number the bench measured. */
export interface Measurement {
  row: number;
  /** What was measured, e.g. "labhub gateway (bench PTY)". */
  variant: string;
  metric: string;
  value: number;
  unit: string;
}

/** A ratio between two variants of one row (e.g. gateway / limit). */
export interface Ratio {
  row: number;
  name: string;
  value: number;
}

export interface RowResult {
  measurements: Measurement[];
  ratios: Ratio[];
  notes: string[];
}

export const emptyResult = (): RowResult => ({ measurements: [], ratios: [], notes: [] });

export const rowTitles: Record<number, string> = {
  1: 'terminal output throughput',
  2: 'VNC relay throughput and latency',
  3: 'keystroke echo latency',
  4: '1,000 idle terminal sessions',
  5: 'start latency (real local runtime)',
  6: 'API: GET /api/instances, 1,000 instances',
};

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A Markdown table of every measurement, by row, with each row's ratios under its measurements. */
export function markdownTable(results: RowResult[]): string {
  const lines = ['| # | what | variant | metric | value |', '|---|---|---|---|---|'];
  const measurements = results.flatMap((result) => result.measurements);
  const ratios = results.flatMap((result) => result.ratios);
  const rows = [...new Set([...measurements, ...ratios].map((item) => item.row))].sort((a, b) => a - b);
  for (const row of rows) {
    for (const m of measurements.filter((item) => item.row === row)) lines.push(`| ${row} | ${rowTitles[row]} | ${m.variant} | ${m.metric} | ${format(m.value)} ${m.unit} |`);
    for (const r of ratios.filter((item) => item.row === row)) lines.push(`| ${row} | ${rowTitles[row]} | **ratio** | ${r.name} | **${format(r.value)}** |`);
  }
  return lines.join('\n');
}
