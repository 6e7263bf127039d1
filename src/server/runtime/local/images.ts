import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import type { FastifyBaseLogger } from 'fastify';
import { RuntimeError } from '../runtime.js';

/** The images labhub can build itself from Debian packages (images/build.sh). */
export const buildableImages = ['labhub/shell', 'labhub/desktop', 'labhub/vm-launcher'] as const;

export const imagesDir = fileURLToPath(new URL('../../../../images/', import.meta.url));

/**
 * Makes sure an image is in the engine: present images are used as they are; labhub's own
 * images are built on first use (one build per image at a time, however many instances wait
 * for it); anything else is refused, since no registry is reachable.
 */
export class ImageBuilder {
  private readonly inFlight = new Map<string, Promise<void>>();

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
      throw new RuntimeError('bad_plan', `Image "${image}" is not available here, and labhub cannot fetch it: import it into the engine first.`, { ...(machine && { machine }) });
    }
    let build = this.inFlight.get(canonical);
    if (!build) {
      build = buildImage(canonical, this.dataDir, onProgress, this.log).finally(() => this.inFlight.delete(canonical));
      this.inFlight.set(canonical, build);
    } else {
      onProgress(`waiting for ${canonical} to be built`);
    }
    await build;
  }
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
