#!/usr/bin/env node
import pg from 'pg';
import { loadConfig } from './config.js';
import { checkLine } from './doctor/checks.js';
import { hostChecks } from './doctor/doctor.js';
import { buildableImages, buildImage } from './runtime/local/images.js';

const usage = `usage: labhub doctor                    check this host: engine, networks, runc, VMs, images, disk, database
       labhub images build [NAME…]   build labhub's base images from Debian packages (default: all but debian)
       labhub images list                list the images labhub can build`;

/** labhub's command line: operator tasks next to `npm start`. */
async function main(argv: string[]): Promise<number> {
  const [group, command, ...names] = argv;
  if (group === 'doctor' && command === undefined) return doctor();
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

/** Every host check, one line each; exit code 1 when one fails (docs/operating.md, "Checking the host"). */
async function doctor(): Promise<number> {
  const config = loadConfig();
  const checks = await hostChecks({
    // No KVM verdict from here: that takes a VM start (the server reports it once it has one).
    localRuntime: config.runtime === 'local' ? { kvm: () => undefined } : undefined,
    engineSocket: config.engineSocket,
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    pingDatabase: async () => {
      const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query('select 1');
      } finally {
        await client.end();
      }
    },
  });
  for (const check of checks) process.stdout.write(`${checkLine(check)}\n`);
  return checks.every((check) => check.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`labhub: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
