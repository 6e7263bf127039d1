#!/usr/bin/env node
import { loadConfig } from './config.js';
import { buildableImages, buildImage } from './runtime/local/images.js';

const usage = `usage: labhub images build [NAME…]   build labhub's base images from Debian packages (default: all but debian)
       labhub images list                list the images labhub can build`;

/** labhub's command line: operator tasks next to `npm start`. */
async function main(argv: string[]): Promise<number> {
  const [group, command, ...names] = argv;
  if (group === 'images' && command === 'list') {
    // debian is built only when named (a few minutes), or on the first start of a lab that uses it.
    process.stdout.write(`${[...buildableImages, 'tiny'].join('\n')}\ndebian (built when named, or on first use)\n`);
    return 0;
  }
  if (group === 'images' && command === 'build') {
    const config = loadConfig();
    for (const name of names.length > 0 ? names : [...buildableImages, 'tiny']) {
      await buildImage(name, config.dataDir, (message) => process.stdout.write(`==> ${message}\n`));
    }
    return 0;
  }
  process.stderr.write(`${usage}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`labhub: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
