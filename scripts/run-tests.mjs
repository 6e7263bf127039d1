#!/usr/bin/env node
// Runs the whole test suite with node's test runner: unit tests beside the code (src/**/*.test.ts)
// and integration tests (test/**/*.test.ts). It starts the services the tests share first:
// a PostgreSQL cluster of its own in a temp dir on a unix socket (the store tests run against it
// and SQLite). Usage: npm test [-- file-or-dir-filter …]
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...findTests(full));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

const files = ['src', 'test']
  .flatMap((dir) => findTests(path.join(root, dir)))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const postgres = startPostgres();
let status = 1;
try {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.LABHUB_TEST_CONCURRENCY ?? 2}`, ...files],
    { stdio: 'inherit', cwd: root, env: { ...process.env, LABHUB_TEST_POSTGRES_URL: postgres.url } },
  );
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} finally {
  postgres.stop();
}
process.exit(status);

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
