import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/server/store/store.js';

/** Issue 15, finding 10: the SQLite database (password hashes, session ids) is readable by labhub's own user only. */

const mode = (file: string) => statSync(file).mode & 0o777;
const databaseFiles = (dir: string) => ['labhub.db', 'labhub.db-wal', 'labhub.db-shm'].map((name) => path.join(dir, name)).filter((file) => existsSync(file));

test('a new data dir is 0700 and the database files in it 0600', async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'labhub-modes-'));
  const dataDir = path.join(parent, 'data');
  try {
    const store = await openStore({ dataDir });
    try {
      assert.equal(mode(dataDir).toString(8), '700');
      const files = databaseFiles(dataDir);
      assert.ok(files.some((file) => file.endsWith('-wal')), 'WAL mode made its files');
      for (const file of files) assert.equal(mode(file).toString(8), '600', file);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('an existing data dir and database files with looser modes are tightened', async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'labhub-modes-'));
  const dataDir = path.join(parent, 'data');
  try {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    // A database from an earlier labhub, left world-readable (and its WAL files with it).
    const first = await openStore({ dataDir });
    await first.close();
    for (const name of ['labhub.db', 'labhub.db-wal', 'labhub.db-shm']) {
      const file = path.join(dataDir, name);
      if (!existsSync(file)) writeFileSync(file, '', { flag: 'a' });
      chmodSync(file, 0o644);
    }
    chmodSync(dataDir, 0o755);

    const store = await openStore({ dataDir });
    try {
      assert.equal(mode(dataDir).toString(8), '700');
      for (const file of databaseFiles(dataDir)) assert.equal(mode(file).toString(8), '600', file);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
