import path from 'node:path';
import { openSocket, startLabhub, type Labhub } from '../lib/labhub.js';
import { repoRoot } from '../lib/processes.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { now, quantile, sleep, within } from '../lib/stats.js';
import { gatewayTerminal, outputThroughput } from '../lib/terminals.js';

/** Starts `lab` as the owner of `cookie` and times it to a usable terminal; returns the instance id and the time in ms. */
async function startToTerminal(labhub: Labhub, cookie: string, lab: 'shell' | 'tiny-vm'): Promise<{ id: string; ms: number }> {
  const started = now();
  const created = await labhub.apiAs(cookie, 'POST', '/api/instances', { lab });
  if (created.status !== 201) throw new Error(`POST /api/instances ${lab}: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.instance.id as string;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { body } = await labhub.apiAs(cookie, 'GET', `/api/instances/${id}`);
    if (body.instance.status === 'running') break;
    if (body.instance.status === 'failed') throw Object.assign(new Error(`${lab} failed: ${body.instance.message}`), { id });
    if (Date.now() > deadline) throw Object.assign(new Error(`${lab} not running after 300 s: ${body.instance.message}`), { id });
    await sleep(100);
  }
  const machine = lab === 'shell' ? 'shell' : 'tiny';
  const ws = await openSocket(labhub.wsUrl(id, machine, 'terminal'), { cookie, origin: labhub.url });
  let text = '';
  const ready = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      // The first message of a new session is its (empty) screen: wait for real output.
      if (data.length === 0) return;
      if (lab === 'shell') return resolve();
      text = (text + data.toString('latin1')).slice(-2000);
      if (text.includes('hi-42')) resolve();
    });
  });
  // A VM's serial console shows its shell once the guest is up: ask it something only a shell answers.
  const poke = lab === 'tiny-vm' ? setInterval(() => ws.send(Buffer.from('echo hi-$((6*7))\r')), 1000) : undefined;
  if (lab === 'tiny-vm') ws.send(Buffer.from('echo hi-$((6*7))\r'));
  try {
    await within(ready, 120_000, `${lab} terminal`);
  } finally {
    clearInterval(poke);
    ws.close();
  }
  return { id, ms: now() - started };
}

async function deleteAndWait(labhub: Labhub, id: string): Promise<void> {
  await labhub.api('DELETE', `/api/instances/${id}`);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await labhub.api('GET', `/api/instances/${id}`)).status !== 404) await sleep(250);
}

/**
 * Row 5 (and row 1's real-runtime line): labhub over the real local runtime (Podman, QEMU under
 * TCG). Sequential starts of the shell lab to its first terminal byte and of the tiny-VM lab to a
 * shell answering on its serial console, then concurrent shell starts by different users.
 */
export async function startLatency(options: { quick: boolean }): Promise<RowResult> {
  const sequential = options.quick ? 3 : 20;
  const sequentialVm = options.quick ? 2 : 20;
  const concurrent = options.quick ? 5 : 20;
  const result = emptyResult();
  const labhub = await startLabhub({ runtime: 'local', labsDir: path.join(repoRoot, 'labs') });
  try {
    const timed = async (lab: 'shell' | 'tiny-vm', count: number, variant: string) => {
      // The first start after labhub starts also pays for one-time work (image checks, the KVM
      // probe): it is reported on its own, and the percentiles are of the starts after it.
      const times: number[] = [];
      for (let i = 0; i <= count; i++) {
        const { id, ms } = await startToTerminal(labhub, labhub.cookie, lab);
        if (i === 0) result.measurements.push({ row: 5, variant, metric: 'first start (cold)', value: ms / 1000, unit: 's' });
        else times.push(ms);
        await deleteAndWait(labhub, id);
      }
      result.measurements.push({ row: 5, variant, metric: `p50 (${count} sequential starts)`, value: quantile(times, 0.5) / 1000, unit: 's' });
      result.measurements.push({ row: 5, variant, metric: `p95 (${count} sequential starts)`, value: quantile(times, 0.95) / 1000, unit: 's' });
    };
    await timed('shell', sequential, 'shell container → first terminal byte');
    await timed('tiny-vm', sequentialVm, 'tiny VM (TCG) → shell answers on serial console');

    const cookies = await Promise.all(Array.from({ length: concurrent }, (_, i) => labhub.userCookie(`bench${i}`)));
    const started = now();
    const outcomes = await Promise.allSettled(cookies.map((cookie) => startToTerminal(labhub, cookie, 'shell')));
    const wall = now() - started;
    const times = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.ms] : []));
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const failure of failures.slice(0, 3)) result.notes.push(`row 5: concurrent start failed: ${String((failure as PromiseRejectedResult).reason?.message ?? failure)}`);
    const variant = `${concurrent} concurrent shell starts (${concurrent} users)`;
    result.measurements.push({ row: 5, variant, metric: 'p50 to first terminal byte', value: quantile(times, 0.5) / 1000, unit: 's' });
    result.measurements.push({ row: 5, variant, metric: 'p95 to first terminal byte', value: quantile(times, 0.95) / 1000, unit: 's' });
    result.measurements.push({ row: 5, variant, metric: 'all ready (wall)', value: wall / 1000, unit: 's' });
    result.measurements.push({ row: 5, variant, metric: 'failures', value: failures.length, unit: `of ${concurrent}` });
    const list = await labhub.api('GET', '/api/instances');
    await Promise.all((list.body.instances as { id: string }[]).map((instance) => deleteAndWait(labhub, instance.id)));

    // Row 1, d: the same flood through a real container's terminal (a Podman exec session).
    const { id } = await startToTerminal(labhub, labhub.cookie, 'shell');
    try {
      const bytes = options.quick ? 30e6 : 100e6;
      const client = await gatewayTerminal(labhub, id, 'shell');
      const run = await outputThroughput(client, bytes);
      client.close();
      result.measurements.push({ row: 1, variant: 'd. labhub gateway over Podman exec (real local runtime)', metric: `throughput (${bytes / 1e6} MB, 1 run)`, value: run.bytes / 1e6 / run.seconds, unit: 'MB/s' });
    } finally {
      await deleteAndWait(labhub, id);
    }
  } finally {
    await labhub.stop();
  }
  return result;
}
