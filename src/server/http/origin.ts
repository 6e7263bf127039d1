import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LabhubError } from '../errors.js';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True when a request may act on the user's behalf: its `Origin` is the public URL's origin,
 * or it carries no Origin and no browser marked it cross-site (scripts and CLIs send neither).
 * `Origin: null` (sandboxed frames, file pages) is always refused.
 */
export function isSameOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === publicOrigin;
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Refuses state-changing requests from other sites (docs/architecture.md §5). WebSocket upgrades are checked by the gateway with the same function. */
export function installOriginCheck(app: FastifyInstance, publicOrigin: string): void {
  app.addHook('onRequest', async (request) => {
    if (safeMethods.has(request.method) || request.routeOptions.config.origin === 'app-session') return;
    const expected = request.routeOptions.config.origin === 'own-host' ? `${new URL(publicOrigin).protocol}//${request.headers.host}` : publicOrigin;
    if (!isSameOrigin(request, expected)) throw new LabhubError('LABHUB_FOREIGN_ORIGIN');
  });
}

/**
 * WebSocket upgrades carry the session cookie whatever page opened them (cross-site WebSocket
 * hijacking), and browsers always send Origin on them: it must be exactly the public origin.
 */
export function assertUpgradeOrigin(request: FastifyRequest, publicOrigin: string): void {
  if (request.headers.origin !== publicOrigin) throw new LabhubError('LABHUB_FOREIGN_ORIGIN');
}
