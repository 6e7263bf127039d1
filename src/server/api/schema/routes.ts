import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { labJsonSchema } from '../../../common/lab/schema.js';

/** JSON Schemas for editors, e.g. `# yaml-language-server: $schema=https://labhub.example.org/api/schema/lab.json`. */
export const schemaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const labSchema = labJsonSchema();

  app.get(
    '/api/schema/lab.json',
    {
      config: { access: 'public' },
      schema: {
        tags: ['labs'],
        summary: 'The lab file format as JSON Schema (draft-07), for editors',
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'A JSON Schema document' }) },
      },
    },
    async (_request, reply) => {
      reply.header('Cache-Control', 'no-cache');
      return labSchema;
    },
  );
};
