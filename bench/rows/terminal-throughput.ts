import type { BenchContext } from '../lib/context.js';
import { openSocket } from '../lib/labhub.js';
import { processUsage } from '../lib/processes.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { median, now, within } from '../lib/stats.js';
import { directTerminal, gatewayTerminal, outputThroughput, wettyTerminal, type TerminalClient } from '../lib/terminals.js';

/**
 * Row 1: ~100 MB of base64 lines printed by /bin/sh through a PTY, read directly by node-pty,
 * through labhub's gateway (bench runtime: the same shell under node-pty in the gateway), and
 * through wetty. Variants alternate within each repetition, so machine noise hits all alike.
 */
export async function terminalThroughput(ctx: BenchContext): Promise<RowResult> {
  const bytes = ctx.quick ? 30e6 : 100e6;
  const repetitions = Number(process.env.BENCH_REPETITIONS ?? (ctx.quick ? 1 : 3));
  const variants: { name: string; pid?: number; open: () => Promise<TerminalClient> }[] = [
    { name: 'a. direct node-pty (limit)', open: directTerminal },
    { name: 'b. labhub gateway (bench PTY runtime)', pid: ctx.labhub.pid, open: () => gatewayTerminal(ctx.labhub, ctx.labhub.instances[0] as string, 'pty') },
    { name: 'c. wetty 3.2', pid: ctx.wettyPid, open: () => wettyTerminal(ctx.wettyPort) },
  ];
  const rates = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const cpuPerMb = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const result = emptyResult();
  for (let rep = 0; rep < repetitions; rep++) {
    for (const variant of variants) {
      const client = await openOrRetry(variant, result);
      const cpuBefore = variant.pid ? processUsage(variant.pid).cpuSeconds : 0;
      const run = await outputThroughput(client, bytes);
      const cpuAfter = variant.pid ? processUsage(variant.pid).cpuSeconds : 0;
      client.close();
      rates.get(variant.name)?.push(run.bytes / 1e6 / run.seconds);
      if (variant.pid) cpuPerMb.get(variant.name)?.push(((cpuAfter - cpuBefore) * 1000) / (run.bytes / 1e6));
    }
  }
  for (const variant of variants) {
    result.measurements.push({ row: 1, variant: variant.name, metric: `throughput (${bytes / 1e6} MB, median of ${repetitions})`, value: median(rates.get(variant.name) ?? []), unit: 'MB/s' });
    if (variant.pid) result.measurements.push({ row: 1, variant: variant.name, metric: 'server CPU per MB', value: median(cpuPerMb.get(variant.name) ?? []), unit: 'ms/MB' });
  }
  await floodFasterThanTheScreen(ctx, result);
  const rate = (i: number) => median(rates.get(variants[i]?.name as string) ?? []);
  result.ratios.push({ row: 1, name: 'b/a (gateway / direct PTY)', value: rate(1) / rate(0) });
  result.ratios.push({ row: 1, name: 'b/c (gateway / wetty)', value: rate(1) / rate(2) });
  return result;
}

/**
 * e. A terminal whose output arrives faster than the session's headless xterm parses it (the
 * source's frames, raw over TCP, as a fast `cat` through a Podman exec would). Before the screen
 * had flow control, xterm threw after 50 MB unparsed and the labhub process died; now the source
 * is paced by the screen and everything arrives.
 */
async function floodFasterThanTheScreen(ctx: BenchContext, result: RowResult): Promise<void> {
  const variant = 'e. labhub gateway, raw TCP terminal faster than its screen';
  const ws = await openSocket(ctx.labhub.wsUrl(ctx.labhub.instances[0] as string, 'frames', 'terminal'), { cookie: ctx.labhub.cookie, origin: ctx.labhub.url });
  const started = now();
  let received = 0;
  ws.on('message', (data: Buffer) => {
    received += data.length;
  });
  const code = await within(new Promise<number>((resolve) => ws.once('close', resolve)), 900_000, 'terminal flood');
  const seconds = (now() - started) / 1000;
  const alive = processUsage(ctx.labhub.pid).rssBytes > 0;
  result.measurements.push({ row: 1, variant, metric: `throughput (${Math.round(ctx.frameTotal / 2 ** 20)} MiB, no newlines)`, value: received / 1e6 / seconds, unit: 'MB/s' });
  result.measurements.push({ row: 1, variant, metric: 'delivered, and the server still up', value: (received / ctx.frameTotal) * 100, unit: `% (close ${code}, ${alive ? 'up' : 'DOWN'})` });
  if (code !== 1000 || !alive) throw new Error(`${variant}: closed with ${code}, server ${alive ? 'up' : 'down'}`);
}

/** Opens a variant's terminal; on a busy machine a first prompt can take long: one retry, noted. */
async function openOrRetry(variant: { name: string; open: () => Promise<TerminalClient> }, result: RowResult): Promise<TerminalClient> {
  try {
    return await variant.open();
  } catch (error) {
    result.notes.push(`row 1: ${variant.name}: opening failed once (${(error as Error).message}), retried`);
    return variant.open();
  }
}
