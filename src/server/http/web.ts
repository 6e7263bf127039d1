import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { LabhubError } from '../errors.js';

/**
 * Serves the built single-page app from `webRoot`; any other GET that is not an API path gets
 * index.html so client-side routes (`/admin/users`, `/instances/:id`) survive a reload.
 */
export async function installWeb(app: FastifyInstance, webRoot: string): Promise<void> {
  const built = existsSync(path.join(webRoot, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: false, cacheControl: false, setHeaders: setCacheHeaders });
  }
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const isPage = request.method === 'GET' && !pathname.startsWith('/api/') && !pathname.startsWith('/apps/') && !path.extname(pathname);
    if (isPage && built) return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
    const error = isPage
      ? new LabhubError('LABHUB_NOT_FOUND', 'The web UI is not built; run `npm run build`.')
      : new LabhubError('LABHUB_ROUTE_NOT_FOUND', `There is no route ${request.method} ${pathname}.`);
    return reply.code(error.status).send(error.toBody());
  });
}

function setCacheHeaders(res: { setHeader(name: string, value: string): void }, filePath: string): void {
  // Vite puts a content hash in every asset name under assets/, so those never change.
  res.setHeader('Cache-Control', filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
}
