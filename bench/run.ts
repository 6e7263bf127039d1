/**
 * `npm run bench [-- --quick] [-- --rows 1,2] [-- --cpu-prof]`: every row of issue #10 side by
 * side in one run. Prints a table, writes bench/results/<date>.json and, after a full run of
 * every row, puts the table into bench/README.md. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, SourceReady } from './lib/context.js';
import { startLabhub } from './lib/labhub.js';
import { benchRoot, freePort, repoRoot, startChild } from './lib/processes.js';
import { markdownTable, rowTitles, type RowResult } from './lib/report.js';
import { apiList } from './rows/api-list.js';
import { idleSessions } from './rows/idle-sessions.js';
import { keystrokeEcho } from './rows/keystrokes.js';
import { startLatency } from './rows/start-latency.js';
import { terminalThroughput } from './rows/terminal-throughput.js';
import { vncRelay } from './rows/vnc-relay.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const cpuProf = args.includes('--cpu-prof');
const rowsArg = args[args.indexOf('--rows') + 1];
const rows = args.includes('--rows') && rowsArg ? rowsArg.split(',').map(Number) : [1, 2, 3, 4, 5, 6];
const seed = 1000;

const machine = describeMachine();
console.log(`labhub bench (${quick ? 'quick' : 'full'}), rows ${rows.join(',')}\n${machine.summary}\n`);
if (rows.includes(2)) ensureWebsockify();

const results: RowResult[] = [];
const failures: string[] = [];
const record = async (row: number, run: () => Promise<RowResult>) => {
  if (!rows.includes(row)) return;
  const started = Date.now();
  console.log(`row ${row}: ${rowTitles[row]}…`);
  try {
    const result = await run();
    results.push(result);
    console.log(markdownTable([result]).split('\n').slice(2).join('\n'));
    for (const note of result.notes) console.log(`  note: ${note}`);
  } catch (error) {
    failures.push(`row ${row}: ${(error as Error).stack ?? String(error)}`);
    console.log(`  row ${row} FAILED: ${(error as Error).message}`);
  }
  console.log(`  (${Math.round((Date.now() - started) / 1000)} s)\n`);
};

const gatewayRows = rows.filter((row) => row !== 5);
if (gatewayRows.length > 0) {
  const frameTotal = quick ? 128 * 1024 * 1024 : 512 * 1024 * 1024;
  const source = await startChild<SourceReady>({ script: 'servers/source.ts' }, { BENCH_FRAME_BYTES: String(frameTotal) });
  const profileDir = path.join(benchRoot, 'results', 'profiles');
  if (cpuProf) mkdirSync(profileDir, { recursive: true });
  const labhub = await startLabhub({ runtime: 'bench', seed, sourcePorts: source.ready.ports, nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
  const wettyPort = await freePort();
  const wetty = await startChild(
    { argv: [process.execPath, path.join(repoRoot, 'node_modules/wetty/build/main.js'), '--host', '127.0.0.1', '--port', String(wettyPort), '--base', '/wetty/', '--command', '/bin/sh'], readyWhen: /Server started/ },
    { SSHHOST: 'localhost' },
  );
  const ctx: BenchContext = { quick, labhub, source, frameTotal, wettyPort, wettyPid: wetty.pid };
  try {
    await record(1, () => terminalThroughput(ctx));
    await record(2, () => vncRelay(ctx));
    // Before rows 3 and 4, whose sessions outlive their viewers (the gateway's linger).
    await record(6, () => apiList(ctx));
    await record(3, () => keystrokeEcho(ctx));
    await record(4, () => idleSessions(ctx));
  } finally {
    await Promise.all([labhub.stop(), wetty.stop(), source.stop()]);
  }
}
await record(5, () => startLatency({ quick }));

const table = markdownTable(results);
console.log(`\n${table}\n`);
for (const failure of failures) console.log(`FAILED ${failure}`);

const date = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '');
const resultsDir = path.join(benchRoot, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `${date}.json`);
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), mode: quick ? 'quick' : 'full', rows, machine, results, failures }, null, 2)}\n`);
console.log(`wrote ${path.relative(repoRoot, file)}`);
if (!quick && rows.length === 6 && failures.length === 0) updateReadme(table);
process.exit(failures.length > 0 ? 1 : 0);

function describeMachine() {
  const cpus = os.cpus();
  const description = {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
  return { ...description, summary: `${description.nproc} × ${description.cpuModel}, ${description.ramGiB} GiB RAM, ${description.kernel}, Node ${description.node}, load average ${description.loadAverageAtStart.join(' ')}` };
}

/** websockify comes from Debian; installed here when missing (the one download the bench makes). */
function ensureWebsockify(): void {
  if (spawnSync('sh', ['-c', 'command -v websockify']).status === 0) return;
  console.log('websockify is missing: apt-get install -y websockify');
  const installed = spawnSync('apt-get', ['install', '-y', 'websockify'], { stdio: 'inherit' });
  if (installed.status !== 0) throw new Error('apt-get install websockify failed: row 2 needs it');
}

/** Replaces the table between the README's result markers, and the machine line. */
function updateReadme(markdown: string): void {
  const readme = path.join(benchRoot, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const block = `<!-- results:start -->\nRun ${new Date().toISOString().slice(0, 16)}Z on ${machine.summary}.\n\n${markdown}\n<!-- results:end -->`;
  writeFileSync(readme, text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block));
  console.log('updated bench/README.md');
}
