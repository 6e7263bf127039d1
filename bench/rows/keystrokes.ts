import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { processUsage, startChild } from '../lib/processes.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { quantile, sleep } from '../lib/stats.js';
import { directTerminal, gatewayTerminal, keystrokeLatencies, wettyTerminal, type TerminalClient } from '../lib/terminals.js';

/**
 * Row 3: a keystroke to its echo, idle (direct PTY, gateway, wetty) and through the gateway while
 * 500 other sessions stream output (each a TCP "exec" of the source, 10 kB/s of lines, read by
 * 500 viewers in another process).
 */
export async function keystrokeEcho(ctx: BenchContext): Promise<RowResult> {
  const count = ctx.quick ? 150 : 500;
  const loadSessions = 500;
  const result = emptyResult();
  const measure = async (variant: string, open: () => Promise<TerminalClient>) => {
    const client = await open();
    await keystrokeLatencies(client, 20);
    const latencies = await keystrokeLatencies(client, count);
    client.close();
    result.measurements.push({ row: 3, variant, metric: `p50 (${count} keystrokes)`, value: quantile(latencies, 0.5), unit: 'ms' });
    result.measurements.push({ row: 3, variant, metric: `p99 (${count} keystrokes)`, value: quantile(latencies, 0.99), unit: 'ms' });
    return latencies;
  };
  const gateway = () => gatewayTerminal(ctx.labhub, ctx.labhub.instances[0] as string, 'pty');
  const direct = await measure('a. direct node-pty, idle (limit)', directTerminal);
  await ctx.labhub.loopDelay();
  const idle = await measure('b. labhub gateway, idle', gateway);
  const idleLoopDelay = await ctx.labhub.loopDelay();
  result.measurements.push({ row: 3, variant: 'b. labhub gateway, idle', metric: 'gateway event-loop delay p99 (max)', value: idleLoopDelay.p99, unit: `ms (${idleLoopDelay.max} ms)` });
  const wetty = await measure('c. wetty 3.2, idle', () => wettyTerminal(ctx.wettyPort));

  const config = path.join(tmpdir(), `labhub-bench-load-${process.pid}.json`);
  const urls = ctx.labhub.instances.slice(1, loadSessions + 1).map((id) => ctx.labhub.wsUrl(id, 'lines', 'terminal'));
  writeFileSync(config, JSON.stringify({ urls, cookie: ctx.labhub.cookie, origin: ctx.labhub.url }));
  const load = await startChild<{ opened: number; failed: number; firstError: string }>({ script: 'servers/load-clients.ts' }, { BENCH_LOAD: config }, 300_000);
  try {
    if (load.ready.failed > 0) result.notes.push(`row 3: ${load.ready.failed} of ${urls.length} load sessions failed to open (${load.ready.firstError})`);
    await sleep(2000);
    const report = () => new Promise<{ bytes: number; seconds: number }>((resolve) => {
      load.onLine((line) => resolve(line as unknown as { bytes: number; seconds: number }));
      load.tell('report');
    });
    await report();
    const cpuBefore = processUsage(ctx.labhub.pid).cpuSeconds;
    const started = performance.now();
    await ctx.labhub.loopDelay();
    const loaded = await measure(`b. labhub gateway, ${load.ready.opened} other sessions streaming`, gateway);
    const loopDelay = await ctx.labhub.loopDelay();
    const cpuSeconds = processUsage(ctx.labhub.pid).cpuSeconds - cpuBefore;
    const elapsed = (performance.now() - started) / 1000;
    const streamed = await report();
    result.measurements.push({ row: 3, variant: `load: ${load.ready.opened} sessions`, metric: 'output relayed to their viewers', value: streamed.bytes / 1e6 / streamed.seconds, unit: 'MB/s' });
    result.measurements.push({ row: 3, variant: `load: ${load.ready.opened} sessions`, metric: 'gateway CPU', value: (cpuSeconds / elapsed) * 100, unit: '% of one core' });
    result.measurements.push({ row: 3, variant: `load: ${load.ready.opened} sessions`, metric: 'gateway event-loop delay p99 (max)', value: loopDelay.p99, unit: `ms (${loopDelay.max} ms)` });
    result.ratios.push({ row: 3, name: 'idle p50 b/a (gateway / direct PTY)', value: quantile(idle, 0.5) / quantile(direct, 0.5) });
    result.ratios.push({ row: 3, name: 'idle p50 b/c (gateway / wetty)', value: quantile(idle, 0.5) / quantile(wetty, 0.5) });
    result.ratios.push({ row: 3, name: 'p99 loaded / idle (gateway)', value: quantile(loaded, 0.99) / quantile(idle, 0.99) });
  } finally {
    await load.stop();
    // The load sessions would linger (viewers may come back): end them at their source.
    ctx.source.tell('stop-lines');
    await sleep(1000);
  }
  return result;
}
