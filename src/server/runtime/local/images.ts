import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import type { FastifyBaseLogger } from 'fastify';
import { RuntimeError } from '../runtime.js';
import { VmDisks, type BaseDisk } from './vm/disks.js';

/** The images labhub can build itself from Debian packages (images/build.sh). */
export const buildableImages = ['labhub/shell', 'labhub/desktop', 'labhub/vm-launcher'] as const;

/**
 * The VM disks labhub can build itself, with the files each writes to `<dataDir>/images/`. `debian`
 * is not part of the default set (`labhub images build`) but, like `tiny`, is built on first use:
 * a few minutes, reported as progress.
 */
export const buildableDisks: Readonly<Record<string, readonly string[]>> = {
  tiny: ['tiny.qcow2', 'tiny.vmlinuz', 'tiny.initrd'],
  debian: ['debian.qcow2', 'debian.vmlinuz', 'debian.initrd'],
};

export const imagesDir = fileURLToPath(new URL('../../../../images/', import.meta.url));

/**
 * Makes sure an image is in the engine, or a VM disk in `<dataDir>/images/`: present ones are
 * used as they are (a rebuild is an admin's `labhub images build`, never a side effect of
 * starting a lab: it would invalidate the overlays of existing VMs); labhub's own are built on
 * first use (one build per image at a time, however many instances wait for it); anything else
 * is refused, since no registry is reachable.
 */
export class ImageBuilder {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Images checked against their recipe by ensureCurrent(), once per runtime. */
  private readonly checked = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: () => Promise<Docker>,
    private readonly dataDir: string,
    private readonly log?: FastifyBaseLogger,
  ) {}

  async ensure(image: string, onProgress: (message: string) => void, machine?: string): Promise<void> {
    const docker = await this.docker();
    const present = await docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        (error: { statusCode?: number }) => {
          if (error.statusCode === 404) return false;
          throw error;
        },
      );
    if (present) return;
    const canonical = image.replace(/^localhost\//, '').replace(/:latest$/, '');
    if (!(buildableImages as readonly string[]).includes(canonical)) {
      // Learners read this: what is missing, not where an admin puts it (the log says that).
      this.log?.warn({ image, machine }, `image ${image} is missing: import it into the container engine (podman load)`);
      throw new RuntimeError('bad_plan', `The image "${image}" is not available here, and labhub cannot download it. An admin can add it.`, { ...(machine && { machine }) });
    }
    await this.build(canonical, onProgress);
  }

  /**
   * Makes sure the VM disk `name` is in `<dataDir>/images/` and returns it; builds labhub's
   * own disks (`tiny`, `debian`) on first use. Throws RuntimeError `bad_plan` naming the machine for
   * any other missing disk.
   */
  async ensureDisk(name: string, onProgress: (message: string) => void, machine: string): Promise<BaseDisk> {
    const disks = new VmDisks(this.dataDir);
    if (!VmDisks.isValidName(name)) {
      throw new RuntimeError('bad_plan', `Machine "${machine}": "${name}" is not a disk image name (lower-case letters, digits, ".", "_" and "-").`, { machine });
    }
    const files = Object.hasOwn(buildableDisks, name) ? buildableDisks[name] : undefined;
    const complete = files ? files.every((file) => existsSync(path.join(disks.imagesDir, file))) : disks.base(name) !== undefined;
    if (!complete) {
      if (!files) {
        this.log?.warn({ disk: name, machine }, `disk image ${name} is missing: put ${name}.qcow2 into ${disks.imagesDir}/ (labhub builds only ${Object.keys(buildableDisks).join(', ')} itself)`);
        throw new RuntimeError('bad_plan', `Machine "${machine}": the disk image "${name}" is not available here. An admin can add it.`, { machine });
      }
      await this.build(name, onProgress);
    }
    const base = disks.base(name);
    if (!base) throw new RuntimeError('failed', `The build of the disk image "${name}" left no ${name}.qcow2 in ${disks.imagesDir}.`, { machine });
    return base;
  }

  /**
   * Like ensure(), and rebuilds a present image of labhub's own once per runtime when its
   * recipe changed (`build.sh --check`). For images whose contents are a protocol with this
   * code — the VM launcher's channels and log lines — an old build would not work; rebuilding
   * one loses nothing (running launchers keep theirs, VM state lives in the overlays).
   */
  async ensureCurrent(image: string, onProgress: (message: string) => void, machine: string): Promise<void> {
    await this.ensure(image, onProgress, machine);
    let check = this.checked.get(image);
    if (!check) {
      check = imageIsCurrent(image).then(async (current) => {
        if (current === false) await this.build(image, (message) => onProgress(message.replace('(first use only)', '(its recipe changed)')));
        else if (current === undefined) this.log?.warn({ image }, 'cannot tell whether the image is up to date; using it as it is');
      });
      check.catch(() => this.checked.delete(image));
      this.checked.set(image, check);
    }
    await check;
  }

  private async build(name: string, onProgress: (message: string) => void): Promise<void> {
    let build = this.inFlight.get(name);
    if (!build) {
      build = buildImage(name, this.dataDir, onProgress, this.log).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, build);
    } else {
      onProgress(`waiting for ${name} to be built`);
    }
    await build;
  }
}

/** `images/build.sh --check NAME`: true when up to date, false when its recipe changed, undefined when it cannot tell. */
function imageIsCurrent(name: string): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const child = spawn('bash', [`${imagesDir}build.sh`, '--check', name], { stdio: 'ignore' });
    child.on('error', () => resolve(undefined));
    child.on('exit', (code) => resolve(code === 0 ? true : code === 1 ? false : undefined));
  });
}

/** Runs images/build.sh NAME, turning its `==> …` lines into progress messages. */
export function buildImage(name: string, dataDir: string, onProgress: (message: string) => void, log?: FastifyBaseLogger): Promise<void> {
  return new Promise((resolve, reject) => {
    onProgress(`building ${name} from Debian packages (first use only)`);
    const child = spawn('bash', [`${imagesDir}build.sh`, name], { env: { ...process.env, LABHUB_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('==> ')) onProgress(line.slice(4));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-2000);
    });
    child.on('error', (error) => reject(new RuntimeError('failed', `Cannot run the image build for ${name}: ${error.message}`)));
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      log?.error({ image: name, stderr: tail }, 'image build failed');
      reject(new RuntimeError('failed', `Building ${name} failed: ${tail.trim().split('\n').pop() ?? `exit code ${code}`}`));
    });
  });
}
