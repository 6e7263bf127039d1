/**
 * labhub as the bench measures it: a real server in a process of its own, listening on loopback,
 * logging at warn, on a fresh SQLite store with the first admin. BENCH_RUNTIME=bench runs it over
 * BenchRuntime (reaching bench/servers/source.ts at BENCH_SOURCE_PORTS) with BENCH_SEED instances
 * of the bench lab in the store; BENCH_RUNTIME=local over the real local runtime and the repo's
 * labs. Prints one JSON line when it listens; SIGTERM closes it (so --cpu-prof can write); on
 * "loop-delay" it prints its event loop's delay since the last ask.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
import { buildApp } from '../../src/server/app.js';
import { ensureFirstAdmin } from '../../src/server/auth/first-admin.js';
import { loadConfig } from '../../src/server/config.js';
import { newInstanceId } from '../../src/server/runtime/naming.js';
import { InstanceRepository } from '../../src/server/store/instances.js';
import { openStore } from '../../src/server/store/store.js';
import { UserRepository } from '../../src/server/store/users.js';
import { benchPassword } from '../lib/labhub.js';
import { freePort } from '../lib/processes.js';
import { BenchRuntime, type SourcePorts } from './bench-runtime.js';


const benchLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: bench, title: Bench, description: Machines of the bench runtime. }
spec:
  limits: { timeLimit: 8h, idleTimeout: 8h, maxInstancesPerUser: 100 }
  machines:
${['pty', 'lines', 'idle', 'frames', 'echo'].map((name) => `    - { name: ${name}, type: container, image: labhub/desktop, resources: { cpu: 100m, memory: 64Mi }, access: [terminal, desktop] }`).join('\n')}
`;

const runtimeKind = process.env.BENCH_RUNTIME ?? 'bench';
const dataDir = mkdtempSync(path.join(tmpdir(), 'labhub-bench-'));
let labsDir = process.env.BENCH_LABS_DIR ?? path.join(dataDir, 'labs');
if (runtimeKind === 'bench') {
  labsDir = path.join(dataDir, 'labs');
  mkdirSync(labsDir);
  writeFileSync(path.join(labsDir, 'bench.yaml'), benchLab);
}

const store = await openStore({ dataDir });
await ensureFirstAdmin(new UserRepository(store.db), benchPassword);
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const config = loadConfig({ LABHUB_DATA_DIR: dataDir, LABHUB_PUBLIC_URL: url, LABHUB_LABS_DIR: labsDir }, dataDir);
const runtime = runtimeKind === 'bench' ? new BenchRuntime(JSON.parse(process.env.BENCH_SOURCE_PORTS ?? '{}') as SourcePorts) : undefined;
const app = await buildApp({ config, store, logger: { level: 'warn' }, ...(runtime && { runtime, reconciler: false }) });
await app.listen({ port, host: '127.0.0.1' });

const seeded = runtime ? await seed(Number(process.env.BENCH_SEED ?? 1)) : [];
process.stdout.write(`${JSON.stringify({ ready: true, url, pid: process.pid, instances: seeded })}\n`);

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());

// The event loop's delay since the last ask, on "loop-delay": tells a slow gateway from a busy machine.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
readline.createInterface({ input: process.stdin }).on('line', (command) => {
  if (command !== 'loop-delay') return;
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.stdout.write(`${JSON.stringify({ loopDelay: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) } })}\n`);
  loopDelay.reset();
});

/** One instance of the bench lab made through the API, then `count - 1` copies of its row: ids of all. */
async function seed(count: number): Promise<string[]> {
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: benchPassword } });
  const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  let created;
  // The labs directory is read in the background: wait until the bench lab is in the catalog.
  for (let attempt = 0; ; attempt++) {
    created = await app.inject({ method: 'POST', url: '/api/instances', headers: { cookie, origin: url }, payload: { lab: 'bench' } });
    if (created.statusCode === 201 || attempt > 100) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (created.statusCode !== 201) throw new Error(`creating the bench instance failed: ${created.body}`);
  const first = (created.json() as { instance: { id: string } }).instance.id;
  const repository = new InstanceRepository(store.db);
  const row = await repository.find(first);
  if (!row) throw new Error('the bench instance is not in the store');
  const ids = [first];
  for (let i = 1; i < count; i++) {
    const id = newInstanceId();
    await repository.insert({ ...row, id, status: 'running', message: null, created_at: row.created_at + i, updated_at: row.created_at + i });
    ids.push(id);
  }
  return ids;
}
