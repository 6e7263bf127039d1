#!/usr/bin/env node
// Runs the test suite with node's test runner, tier by tier, fail-fast: a tier runs only when
// the one before it passed. Unit tests sit beside the code (src/**/*.test.ts); integration tests
// live in test/. Tiers that need it get a PostgreSQL cluster of the run's own in a temp dir on a
// unix socket (the store tests run against it and SQLite). At the end, the slowest files.
// Usage: npm test [-- [--tier unit|api|engine|browser] [file-or-dir-filter …]]
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/**
 * The tiers, cheapest first. A file belongs to the tier with the longest prefix it starts with (so
 * one file of a folder can sit in another tier than its folder); a test file that matches none
 * fails the run, so a new folder cannot be silently left out.
 */
const tiers = [
  { name: 'unit', what: 'no engine, no database', postgres: false, prefixes: ['src/'] },
  { name: 'api', what: 'the API on SQLite and PostgreSQL, lab files, deployment manifests, policy on the process runtime', postgres: true, prefixes: ['test/api/', 'test/labs/', 'test/store/', 'test/deploy/', 'test/runtime-conformance/process', 'test/instances/quotas', 'test/instances/reconciler'] },
  { name: 'engine', what: 'real Podman, QEMU and kube-sim', postgres: true, prefixes: ['test/runtime-conformance/', 'test/gateway/', 'test/instances/', 'test/kube-sim/', 'test/labs/demo-lab-checks', 'test/labs/ownership'] },
  { name: 'browser', what: 'Chromium driving the web UI against a real server', postgres: true, prefixes: ['test/e2e/'] },
];

const args = process.argv.slice(2);
const tierArg = args.indexOf('--tier');
const onlyTier = tierArg >= 0 ? args[tierArg + 1] : undefined;
const filters = args.filter((_, i) => tierArg < 0 || (i !== tierArg && i !== tierArg + 1));
if (onlyTier && !tiers.some((tier) => tier.name === onlyTier)) {
  console.error(`unknown tier "${onlyTier}": one of ${tiers.map((tier) => tier.name).join(', ')}`);
  process.exit(2);
}

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...findTests(full));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(path.relative(root, full));
  }
  return found;
}

const all = ['src', 'test'].flatMap((dir) => findTests(path.join(root, dir))).sort();
const matchOf = (tier, file) => Math.max(-1, ...tier.prefixes.filter((prefix) => file.startsWith(prefix)).map((prefix) => prefix.length));
const tierOf = (file) => tiers.filter((tier) => matchOf(tier, file) >= 0).sort((a, b) => matchOf(b, file) - matchOf(a, file))[0];
const homeless = all.filter((file) => !tierOf(file));
if (homeless.length > 0) {
  console.error(`test files in no tier (add their folder to scripts/run-tests.mjs): ${homeless.join(', ')}`);
  process.exit(2);
}
const selected = all.filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));
const plan = tiers
  .filter((tier) => !onlyTier || tier.name === onlyTier)
  .map((tier) => ({ tier, files: selected.filter((file) => tierOf(file) === tier) }))
  .filter((step) => step.files.length > 0);
if (plan.length === 0) {
  console.error(`no test files match ${[onlyTier && `--tier ${onlyTier}`, ...filters].filter(Boolean).join(' ')}`);
  process.exit(1);
}

const timings = path.join(mkdtempSync(path.join(tmpdir(), 'labhub-test-times-')), 'times.jsonl');
let postgres;
let child;
const stop = () => child?.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
let status = 0;
try {
  for (const { tier, files } of plan) {
    if (tier.postgres) postgres ??= startPostgres();
    console.log(`\n# tier ${tier.name} (${tier.what}): ${files.length} file${files.length === 1 ? '' : 's'}`);
    const started = Date.now();
    child = spawn(
      process.execPath,
      [
        '--import', 'tsx', '--test',
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        `--test-reporter=${path.join(root, 'scripts/test-times-reporter.mjs')}`, `--test-reporter-destination=${timings}`,
        `--test-concurrency=${process.env.LABHUB_TEST_CONCURRENCY ?? 2}`,
        ...files,
      ],
      { stdio: 'inherit', cwd: root, env: { ...process.env, ...(postgres && { LABHUB_TEST_POSTGRES_URL: postgres.url }) } },
    );
    status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
    console.log(`# tier ${tier.name}: ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (status !== 0) {
      const later = plan.slice(plan.findIndex((step) => step.tier === tier) + 1).map((step) => step.tier.name);
      if (later.length > 0) console.log(`# not run: ${later.join(', ')} (a tier runs only when the ones before it passed)`);
      break;
    }
  }
  printSlowest();
} finally {
  postgres?.stop();
  rmSync(path.dirname(timings), { recursive: true, force: true });
}
process.exit(status);

/** The ten files that took longest, from the timings reporter's lines. */
function printSlowest() {
  if (!existsSync(timings)) return;
  const byFile = new Map();
  for (const line of readFileSync(timings, 'utf8').split('\n').filter(Boolean)) {
    const { file, ms } = JSON.parse(line);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const slowest = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (slowest.length === 0) return;
  console.log('\n# slowest files');
  for (const [file, ms] of slowest) console.log(`#  ${(ms / 1000).toFixed(1).padStart(6)} s  ${path.relative(root, file)}`);
}

/** initdb + pg_ctl into a temp dir, listening only on a unix socket; as the postgres user when run as root (initdb refuses root). */
function startPostgres() {
  const bin = findPostgresBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? pgUser() : undefined;
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (cmd, args) => {
    const argv = user ? ['runuser', '-u', user.name, '--', path.join(bin, cmd), ...args] : [path.join(bin, cmd), ...args];
    const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'labhub', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-s', '-w', '-l', path.join(dir, 'postgres.log'), '-o', `-c listen_addresses='' -k ${dir} -c fsync=off -c max_connections=200`, 'start']);
  return {
    url: `postgres://labhub@localhost/postgres?host=${encodeURIComponent(dir)}`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-s', '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function findPostgresBin() {
  const candidates = ['/usr/local/bin', ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : [])];
  const bin = candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found; scripts/test.sh installs them');
  return bin;
}

function pgUser() {
  const name = 'postgres';
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error('running as root needs a "postgres" user for initdb; scripts/test.sh creates it');
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim();
  return { name, uid: Number(result.stdout.trim()), gid: Number(gid) };
}
