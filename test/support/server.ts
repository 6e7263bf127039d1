import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildApp, defaultWebRoot } from '../../src/server/app.js';
import { ensureFirstAdmin } from '../../src/server/auth/first-admin.js';
import { loadConfig } from '../../src/server/config.js';
import { UserRepository } from '../../src/server/store/users.js';
import { adminPassword, freshStore } from './app.js';
import { freePort } from './free-port.js';

export interface E2eServer {
  /** The origin the browser must use: it is the server's public URL, which its Origin checks compare against. */
  url: string;
  adminPassword: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  /**
   * Configuration variables on top of the test's own (e.g. `LABHUB_LABS_DIR`). Relative paths
   * resolve against the fresh data dir, so by default the labs directory is an empty one there.
   */
  env?: Record<string, string>;
}

/**
 * A real labhub server, listening on 127.0.0.1, on a fresh SQLite store with the first admin
 * (`admin` / `adminPassword`), serving the built web UI from dist/web.
 */
export async function startServer({ env = {} }: ServerOptions = {}): Promise<E2eServer> {
  const webIndex = path.join(defaultWebRoot, 'index.html');
  if (!existsSync(webIndex)) {
    throw new Error(`${webIndex} is missing: the browser tests need the built web UI; run \`npm run build\` first (scripts/test.sh builds before testing)`);
  }
  const fresh = await freshStore('sqlite');
  try {
    await ensureFirstAdmin(new UserRepository(fresh.store.db), adminPassword);
    // The public URL must name the port before the app is built, so find a free one first;
    // another process may take it in between, hence the retries.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const config = loadConfig({ ...env, LABHUB_DATA_DIR: fresh.dataDir, LABHUB_PUBLIC_URL: url }, fresh.dataDir);
      const app = await buildApp({ config, store: fresh.store, logger: false });
      try {
        await app.listen({ port, host: '127.0.0.1' });
      } catch (error) {
        await app.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
        throw error;
      }
      return {
        url,
        adminPassword,
        async close() {
          await app.close();
          await fresh.dispose();
        },
      };
    }
  } catch (error) {
    await fresh.dispose();
    throw error;
  }
}

