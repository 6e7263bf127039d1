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

  app.get('/metrics', { config: { access: 'public' }, schema: { tags: ['system'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.header('Content-Type', registry.contentType);
    return registry.metrics();
  });

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { tags: ['system'], summary: 'This OpenAPI document', hide: true } }, async () => app.swagger());
};
