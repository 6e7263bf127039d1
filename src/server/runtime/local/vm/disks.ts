import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuntimeError } from '../../runtime.js';

const run = promisify(execFile);

/**
 * A VM disk image of the local runtime: `<dataDir>/images/<name>.qcow2`, with
 * `<name>.vmlinuz` and `<name>.initrd` beside it for images booted by direct kernel boot
 * (like `tiny`, which has no boot loader). images/build.sh writes labhub's own there, with
 * `<name>.qcow2.recipe-hash`; an admin may drop in others.
 */
export interface BaseDisk {
  name: string;
  disk: string;
  kernel?: string;
  initrd?: string;
  /** Changes whenever the file is replaced: the recipe hash, else size and modification time. */
  fingerprint: string;
}

/** What an overlay records about the base it was made on (`disk.qcow2.base`, next to it). */
interface OverlayRecord {
  image: string;
  fingerprint: string;
}

const imageName = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** VM base images and per-machine overlays in the data dir. */
export class VmDisks {
  private readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = path.resolve(dataDir);
  }

  get imagesDir(): string {
    return path.join(this.dataDir, 'images');
  }

  /** Whether `name` may name an image at all (it becomes a file name: no paths, no dots first). */
  static isValidName(name: string): boolean {
    return imageName.test(name) && !name.includes('..');
  }

  /** The base image, or undefined when it is not in the images dir (or incomplete: a kernel without its initrd). */
  base(name: string): BaseDisk | undefined {
    if (!VmDisks.isValidName(name)) return undefined;
    const disk = path.join(this.imagesDir, `${name}.qcow2`);
    if (!existsSync(disk)) return undefined;
    const kernel = path.join(this.imagesDir, `${name}.vmlinuz`);
    const initrd = path.join(this.imagesDir, `${name}.initrd`);
    const hashFile = `${disk}.recipe-hash`;
    const stat = statSync(disk);
    const fingerprint = existsSync(hashFile) ? `recipe:${readFileSync(hashFile, 'utf8').trim()}` : `file:${stat.size}:${Math.round(stat.mtimeMs)}`;
    return {
      name,
      disk,
      ...(existsSync(kernel) && { kernel }),
      ...(existsSync(kernel) && existsSync(initrd) && { initrd }),
      fingerprint,
    };
  }

  /**
   * Makes sure `overlay` exists as a qcow2 overlay on `base`: created when missing (true is
   * returned), kept when it was made on this very base. An overlay made on an earlier build of
   * the base would show the guest a mix of two file systems, so it is refused.
   */
  async ensureOverlay(overlay: string, base: BaseDisk, machine: string, sizeBytes?: number): Promise<boolean> {
    const recordFile = `${overlay}.base`;
    if (existsSync(overlay)) {
      const record = readRecord(recordFile);
      if (!record) {
        // labhub records the base right after making an overlay: without a record it was made just before a crash, unused.
        writeRecord(recordFile, base);
        return false;
      }
      if (record.image === base.name && record.fingerprint === base.fingerprint) return false;
      throw baseRebuilt(machine, record.image);
    }
    const args = ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base.disk, overlay];
    if (sizeBytes !== undefined && sizeBytes > (await virtualSize(base.disk))) args.push(String(sizeBytes));
    try {
      await run('qemu-img', args);
    } catch (error) {
      const cause = error as NodeJS.ErrnoException & { stderr?: string };
      const why = cause.code === 'ENOENT' ? 'qemu-img is not installed on this host (Debian: apt-get install qemu-utils)' : (cause.stderr?.trim() ?? cause.message);
      throw new RuntimeError('failed', `Cannot create the disk of machine "${machine}": ${why}`, { machine, cause: error });
    }
    writeRecord(recordFile, base);
    return true;
  }

  /** Checks an existing overlay against the current base without creating anything (before restarting a stopped VM). */
  checkOverlay(overlay: string, machine: string): void {
    const record = readRecord(`${overlay}.base`);
    if (!record || !existsSync(overlay)) return;
    const base = this.base(record.image);
    if (!base) throw new RuntimeError('failed', `The disk image "${record.image}" of machine "${machine}" is gone from ${this.imagesDir}.`, { machine });
    if (base.fingerprint !== record.fingerprint) throw baseRebuilt(machine, record.image);
  }

  /** Deletes an overlay (reset): the next start makes a fresh one. */
  dropOverlay(overlay: string): void {
    rmSync(overlay, { force: true });
    rmSync(`${overlay}.base`, { force: true });
  }
}

function baseRebuilt(machine: string, image: string): RuntimeError {
  return new RuntimeError(
    'conflict',
    `The disk of machine "${machine}" was made on an earlier build of the image "${image}", which has been rebuilt since; the two no longer fit together. Reset the machine to start it afresh from the new image (its changes are lost).`,
    { machine },
  );
}

function writeRecord(file: string, base: BaseDisk): void {
  writeFileSync(file, `${JSON.stringify({ image: base.name, fingerprint: base.fingerprint } satisfies OverlayRecord)}\n`);
}

function readRecord(file: string): OverlayRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<OverlayRecord>;
    return typeof record.image === 'string' && typeof record.fingerprint === 'string' ? { image: record.image, fingerprint: record.fingerprint } : undefined;
  } catch {
    return undefined;
  }
}

async function virtualSize(disk: string): Promise<number> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', disk]);
  return (JSON.parse(stdout) as { 'virtual-size'?: number })['virtual-size'] ?? 0;
}
