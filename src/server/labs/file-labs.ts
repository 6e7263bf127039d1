import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FieldProblem } from '../../common/errors.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { parseLab, positionInLab, type ParseLabResult } from '../../common/lab/parse.js';
import { maxLabSourceBytes } from '../../common/lab/schema.js';
import type { LabRepository } from '../store/labs.js';

/** One file of the labs directory as last read. */
export interface FileLabState {
  /** File name inside the labs directory. */
  file: string;
  /** The lab's name; for a file without a valid one, the name it had before or the file name without extension. */
  name: string;
  /** True when `name` comes from the file (now or before it broke), so it reserves that name. */
  claimsName: boolean;
  yaml: string;
  status: 'ok' | 'broken';
  problems: FieldProblem[];
  lab: NormalizedLab | null;
  /** The store version holding this text; null while broken or not recorded. */
  version: number | null;
  modifiedAt: number;
}

export interface FileLabsOptions {
  /** Quiet time after the last change event before the directory is read again. */
  debounceMs?: number;
  /** A full re-read at this interval as well, for filesystems where change events get lost (NFS, some bind mounts). */
  rescanMs?: number;
}

interface ParsedFile {
  yaml: string;
  result: ParseLabResult;
}

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/**
 * The labs in `*.yaml`/`*.yml` files of one directory, read at start and again whenever the
 * directory changes. A file that does not validate is kept as broken with its problems; it never
 * stops the server. Every valid file's text is recorded as a version in the store, so instances
 * keep the version they started from after the file changes.
 */
export class FileLabSource {
  private states = new Map<string, FileLabState>();
  /** Parse results by file, reused while the text is unchanged. */
  private parsed = new Map<string, ParsedFile>();
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private rescan: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private stopped = false;
  private readonly debounceMs: number;
  private readonly rescanMs: number;

  constructor(
    readonly dir: string,
    private readonly repository: LabRepository,
    private readonly log: Logger,
    options: FileLabsOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 200;
    this.rescanMs = options.rescanMs ?? 30_000;
  }

  /** Reads the directory once and starts watching it. */
  async start(): Promise<void> {
    await this.requestScan();
    this.rescan = setInterval(() => void this.requestScan(), this.rescanMs);
    this.rescan.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.rescan) clearInterval(this.rescan);
    await this.scanning;
  }

  list(): FileLabState[] {
    return [...this.states.values()];
  }

  /** The file that claims a lab name: the valid one when several do. */
  byName(name: string): FileLabState | undefined {
    const matching = this.list().filter((state) => state.name === name);
    return matching.find((state) => state.status === 'ok') ?? matching[0];
  }

  /** Reads the directory now, or once more after the read in progress; resolves when done. */
  requestScan(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.scanAgain = false;
          await this.scan().catch((error: unknown) => this.log.warn({ err: error, dir: this.dir }, 'reading the labs directory failed'));
        } while (this.scanAgain && !this.stopped);
      } finally {
        this.scanning = null;
      }
    })();
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const files = await this.listFiles();
    if (files === undefined) return;
    this.ensureWatching();
    const next = new Map<string, FileLabState>();
    const parsed = new Map<string, ParsedFile>();
    for (const file of files) {
      const state = await this.read(file, parsed);
      if (state) next.set(file, state);
    }
    this.parsed = parsed;
    markDuplicateNames([...next.values()]);
    for (const state of next.values()) await this.record(state);
    this.logChanges(next);
    this.states = next;
    const claimed = new Set([...next.values()].filter((state) => state.claimsName).map((state) => state.name));
    try {
      const retired = await this.repository.retireFileLabs(claimed);
      if (retired.length > 0) this.log.info({ labs: retired }, 'lab files removed');
    } catch (error) {
      this.log.warn({ err: error }, 'marking removed lab files deleted failed; labhub retries');
    }
  }

  /** The lab file names, sorted; undefined when the directory cannot be listed for a reason other than being absent. */
  private async listFiles(): Promise<string[] | undefined> {
    try {
      const entries = await readdir(this.dir);
      return entries.filter((name) => /\.ya?ml$/i.test(name) && !name.startsWith('.')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.log.warn({ err: error, dir: this.dir }, 'cannot list the labs directory');
      return undefined;
    }
  }

  private async read(file: string, parsed: Map<string, ParsedFile>): Promise<FileLabState | undefined> {
    const full = path.join(this.dir, file);
    const previous = this.states.get(file);
    const stem = file.replace(/\.ya?ml$/i, '');
    const broken = (problem: FieldProblem, modifiedAt: number): FileLabState => ({
      file,
      name: previous?.claimsName ? previous.name : stem,
      claimsName: previous?.claimsName ?? false,
      yaml: '',
      status: 'broken',
      problems: [problem],
      lab: null,
      version: null,
      modifiedAt,
    });
    let modifiedAt = Date.now();
    try {
      const info = await stat(full);
      if (!info.isFile()) return undefined;
      modifiedAt = info.mtimeMs;
      if (info.size > maxLabSourceBytes * 4) return broken({ path: '(document)', message: `is too large: at most ${maxLabSourceBytes / 1024} KiB` }, modifiedAt);
      const yaml = await readFile(full, 'utf8');
      const cached = this.parsed.get(file);
      const result = cached?.yaml === yaml ? cached.result : parseLab(yaml, file);
      parsed.set(file, { yaml, result });
      if (result.ok) return { file, name: result.lab.name, claimsName: true, yaml, status: 'ok', problems: [], lab: result.lab, version: null, modifiedAt };
      const name = result.name ?? (previous?.claimsName ? previous.name : undefined);
      return { file, name: name ?? stem, claimsName: name !== undefined, yaml, status: 'broken', problems: result.problems, lab: null, version: null, modifiedAt };
    } catch (error) {
      // Vanished between listing and reading: the next change event reads the directory again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return broken({ path: '(document)', message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }, modifiedAt);
    }
  }

  private async record(state: FileLabState): Promise<void> {
    if (state.status !== 'ok') return;
    try {
      const outcome = await this.repository.recordFileVersion(state.name, state.yaml);
      if (outcome.ok) {
        state.version = outcome.version;
        return;
      }
      Object.assign(state, {
        status: 'broken',
        lab: null,
        problems: [{ path: 'metadata.name', message: `is the name of a lab created in labhub; give this file's lab another name`, ...positionInLab(state.yaml, ['metadata', 'name']) }],
      });
    } catch (error) {
      this.log.warn({ err: error, file: state.file }, 'recording a lab file in the store failed');
      Object.assign(state, { status: 'broken', lab: null, problems: [{ path: '(store)', message: 'could not be recorded in the store; labhub retries' }] });
    }
  }

  private ensureWatching(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = watch(this.dir, { persistent: false }, () => this.changed());
      this.watcher.on('error', (error) => {
        this.log.warn({ err: error, dir: this.dir }, 'watching the labs directory failed; reading it every interval instead');
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (error) {
      // Absent directory: the interval re-read starts watching once it exists.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err: error, dir: this.dir }, 'cannot watch the labs directory');
    }
  }

  private changed(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.requestScan();
    }, this.debounceMs);
    this.debounce.unref();
  }

  private logChanges(next: Map<string, FileLabState>): void {
    for (const [file, state] of next) {
      const before = this.states.get(file);
      if (before && before.yaml === state.yaml && before.status === state.status) continue;
      if (state.status === 'ok') this.log.info({ file, lab: state.name, version: state.version }, 'lab file loaded');
      else this.log.warn({ file, lab: state.name, problems: state.problems.slice(0, 5) }, 'lab file is broken');
    }
  }
}

/** Two files with one lab name: the first file (by name) keeps it, the others are broken. */
function markDuplicateNames(states: FileLabState[]): void {
  const owners = new Map<string, FileLabState>();
  for (const state of states) {
    if (state.status !== 'ok') continue;
    const owner = owners.get(state.name);
    if (!owner) {
      owners.set(state.name, state);
      continue;
    }
    Object.assign(state, {
      status: 'broken',
      lab: null,
      claimsName: false,
      problems: [{ path: 'metadata.name', message: `is already the name of the lab in ${owner.file}`, ...positionInLab(state.yaml, ['metadata', 'name']) }],
    });
  }
}
