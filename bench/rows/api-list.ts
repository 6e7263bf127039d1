import type { BenchContext } from '../lib/context.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { now, quantile } from '../lib/stats.js';

/** Latencies of `count` sequential GETs of `path` as the admin, over one keep-alive connection. */
async function timeGets(ctx: BenchContext, path: string, count: number): Promise<{ latencies: number[]; bytes: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const started = now();
    const response = await fetch(`${ctx.labhub.url}${path}`, { headers: { cookie: ctx.labhub.cookie } });
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    latencies.push(now() - started);
    bytes = body.byteLength;
  }
  return { latencies, bytes };
}

/** Row 6: GET /api/instances as an admin who sees 1,000 instances, beside GET /healthz (the floor of one request). */
export async function apiList(ctx: BenchContext): Promise<RowResult> {
  const count = ctx.quick ? 60 : 300;
  const first = await fetch(`${ctx.labhub.url}/api/instances`, { headers: { cookie: ctx.labhub.cookie } });
  const listed = ((await first.json()) as { instances: unknown[] }).instances.length;
  // Warm up both paths (JIT, caches) before timing.
  await timeGets(ctx, '/api/instances', 10);
  await timeGets(ctx, '/healthz', 10);
  const list = await timeGets(ctx, '/api/instances', count);
  const health = await timeGets(ctx, '/healthz', count);
  const result = emptyResult();
  const variant = `GET /api/instances (${listed} instances, ${Math.round(list.bytes / 1024)} KiB)`;
  result.measurements.push({ row: 6, variant, metric: `p50 (${count} sequential)`, value: quantile(list.latencies, 0.5), unit: 'ms' });
  result.measurements.push({ row: 6, variant, metric: `p99 (${count} sequential)`, value: quantile(list.latencies, 0.99), unit: 'ms' });
  result.measurements.push({ row: 6, variant: 'GET /healthz (floor)', metric: 'p50', value: quantile(health.latencies, 0.5), unit: 'ms' });
  result.measurements.push({ row: 6, variant: 'GET /healthz (floor)', metric: 'p99', value: quantile(health.latencies, 0.99), unit: 'ms' });
  result.ratios.push({ row: 6, name: 'p50 list / healthz', value: quantile(list.latencies, 0.5) / quantile(health.latencies, 0.5) });
  return result;
}
