import { buildApp } from './app.js';
import { ensureFirstAdmin } from './auth/first-admin.js';
import { ConfigError, loadConfig } from './config.js';
import { UserRepository } from './store/users.js';
import { openStore } from './store/store.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const app = await buildApp({ config, store });
  app.addHook('onClose', () => store.close());

  const generated = await ensureFirstAdmin(new UserRepository(store.db), config.adminPassword);
  await app.listen({ port: config.port, host: '::' });

  // Printed to the terminal, not the log: a password must never be in a log line.
  if (generated) process.stdout.write(`\n  First start: log in at ${config.publicUrl}/login as "admin" with password: ${generated}\n  (shown once; set LABHUB_ADMIN_PASSWORD to choose it)\n\n`);
  else process.stdout.write(`\n  labhub is running at ${config.publicUrl} — log in as "admin".\n\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`labhub: ${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
