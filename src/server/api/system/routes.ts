import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { LabhubError } from '../../errors.js';
import type { Services } from '../../services.js';

export const systemRoutes: FastifyPluginAsyncTypebox<{ services: Services; registry: Registry }> = async (app, { services, registry }) => {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { tags: ['system'], summary: 'Liveness: the server answers and its store is reachable', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => {
      try {
        await sql`select 1`.execute(services.store.db);
      } catch (error) {
        throw new LabhubError('LABHUB_UNAVAILABLE', 'The store is not reachable.', { cause: error });
      }
      return { status: 'ok' as const };
    },
  );

  // Metrics name routes, error reasons and login failures: admins, or Prometheus with LABHUB_METRICS_TOKEN (docs/operating.md).
  const metricsToken = services.config.metricsToken;
  app.get(
    '/metrics',
    { config: { access: 'admin', ...(metricsToken && { bearer: sameSecret(metricsToken) }) }, schema: { tags: ['system'], summary: 'Prometheus metrics (an admin session or the metrics token)', hide: true } },
    async (_request, reply) => {
      reply.header('Content-Type', registry.contentType);
      return registry.metrics();
    },
  );

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { tags: ['system'], summary: 'This OpenAPI document', hide: true } }, async () => app.swagger());
};

/** Compares a presented token with the secret in constant time: both are hashed first, so neither length nor content shows in the timing. */
function sameSecret(secret: string): (token: string) => boolean {
  const expected = createHash('sha256').update(secret).digest();
  return (token) => timingSafeEqual(createHash('sha256').update(token).digest(), expected);
}
