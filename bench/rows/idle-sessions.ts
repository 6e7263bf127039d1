import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { startLabhub } from '../lib/labhub.js';
import { processUsage, startChild } from '../lib/processes.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { sleep } from '../lib/stats.js';

/**
 * Row 4: 1,000 terminal WebSockets, each to its own session (a TCP "exec" to the source's echo,
 * as a Podman exec is a socket to the engine), opened from another process and left idle:
 * the gateway's resident memory per session, the CPU of opening them, and its CPU while idle.
 */
export async function idleSessions(ctx: BenchContext): Promise<RowResult> {
  const sessions = 1000;
  const idleSeconds = ctx.quick ? 5 : 20;
  const result = emptyResult();
  // A server of its own: what earlier rows left in the shared one's heap would blur its memory.
  const labhub = await startLabhub({ runtime: 'bench', seed: sessions, sourcePorts: ctx.source.ready.ports });
  const config = path.join(tmpdir(), `labhub-bench-idle-${process.pid}.json`);
  const urls = labhub.instances.slice(0, sessions).map((id) => labhub.wsUrl(id, 'idle', 'terminal'));
  writeFileSync(config, JSON.stringify({ urls, cookie: labhub.cookie, origin: labhub.url }));
  await sleep(2000);
  const before = processUsage(labhub.pid);
  const clients = await startChild<{ opened: number; failed: number; firstError: string; openMs: number }>({ script: 'servers/load-clients.ts' }, { BENCH_LOAD: config }, 600_000);
  try {
    const opened = processUsage(labhub.pid);
    await sleep(2000);
    const settled = processUsage(labhub.pid);
    await sleep(idleSeconds * 1000);
    const idle = processUsage(labhub.pid);
    const n = clients.ready.opened;
    if (clients.ready.failed > 0) result.notes.push(`row 4: ${clients.ready.failed} of ${sessions} sessions failed to open (${clients.ready.firstError})`);
    const variant = `labhub gateway, ${n} idle sessions`;
    result.measurements.push({ row: 4, variant, metric: 'gateway RSS per session', value: (idle.rssBytes - before.rssBytes) / n / 1024, unit: 'KiB' });
    result.measurements.push({ row: 4, variant, metric: 'gateway RSS before → with sessions', value: idle.rssBytes / 2 ** 20, unit: `MiB (from ${Math.round(before.rssBytes / 2 ** 20)} MiB)` });
    result.measurements.push({ row: 4, variant, metric: 'gateway CPU to open one (auth, audit, attach)', value: ((opened.cpuSeconds - before.cpuSeconds) * 1000) / n, unit: 'ms' });
    result.measurements.push({ row: 4, variant, metric: `opening all ${n}, 50 at a time`, value: clients.ready.openMs / 1000, unit: 's' });
    result.measurements.push({ row: 4, variant, metric: `gateway CPU while idle (${idleSeconds} s)`, value: ((idle.cpuSeconds - settled.cpuSeconds) / idleSeconds) * 100, unit: '% of one core' });
  } finally {
    await clients.stop();
    await labhub.stop();
  }
  return result;
}
