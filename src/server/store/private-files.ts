import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The data dir and the SQLite files hold password hashes and session ids: labhub's own user
 * alone may read them (issue 15, finding 10). Created that way, and tightened when an earlier
 * labhub (or an operator) left them readable to others.
 */

/** Creates `dir` (0700) or takes group and other bits off an existing one. A dir labhub does not own (a mounted volume's root) keeps its mode, with a warning. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    tighten(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    process.emitWarning(`${dir} is readable by other users and labhub cannot change its mode (not its owner): make it 0700`, { code: 'LABHUB_DATA_DIR_MODE' });
  }
}

/** Creates an empty `file` (0600) if there is none, so SQLite never creates it with the umask's mode; tightens an existing one. */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  tighten(file);
}

/** Tightens `file` if it exists (SQLite's -wal and -shm come and go with connections). */
export function tightenIfPresent(file: string): void {
  if (existsSync(file)) tighten(file);
}

function tighten(target: string): void {
  const mode = statSync(target).mode & 0o777;
  if ((mode & 0o077) !== 0) chmodSync(target, mode & 0o700);
}
