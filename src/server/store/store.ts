import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { Dialect } from './dialect.js';
import { allMigrations } from './migrations/index.js';
import { ensurePrivateDir, ensurePrivateFile, tightenIfPresent } from './private-files.js';
import type { Database } from './schema.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** This installation's id, made once by the migrations; it labels every workload. */
  readonly installation: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…`; when absent, SQLite at `<dataDir>/labhub.db`. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect: Dialect = options.databaseUrl ? 'postgres' : 'sqlite';
  const db = new Kysely<Database>({
    dialect: options.databaseUrl ? postgresDialect(options.databaseUrl) : sqliteDialect(options.dataDir),
  });
  let installation: string;
  try {
    await migrate(db, dialect);
    installation = (await db.selectFrom('installation').select('id').executeTakeFirstOrThrow()).id;
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect, installation, close: () => db.destroy() };
}

/** SQLite at `<dataDir>/labhub.db`: the dir 0700, the database and its WAL files 0600 (SQLite gives the WAL files the database's mode). */
function sqliteDialect(dataDir: string): SqliteDialect {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, 'labhub.db');
  ensurePrivateFile(file);
  for (const suffix of ['-wal', '-shm']) tightenIfPresent(file + suffix);
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  for (const suffix of ['-wal', '-shm']) tightenIfPresent(file + suffix);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new SqliteDialect({ database: sqlite });
}

function postgresDialect(url: string): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // bigint columns hold epoch milliseconds, which fit a JS number exactly.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) },
  } as pg.PoolConfig);
  // An idle connection the server closes (a restart, a failover, a terminated backend) is an
  // 'error' on the pool: without a listener it would crash the process. The pool replaces it on
  // the next query, and a query in flight fails on its own.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}

async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => allMigrations(dialect) };
  const migrator = new Migrator({ db, provider, migrationTableName: 'labhub_migrations', migrationLockTableName: 'labhub_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, { cause: error });
}
