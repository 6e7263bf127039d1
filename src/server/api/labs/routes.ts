import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse } from '../../../common/api.js';
import {
  CreateLabRequest,
  LabList,
  LabParams,
  LabResponse,
  LabValidation,
  LabVersionList,
  LabVersionParams,
  LabVersionResponse,
  UpdateLabRequest,
  ValidateLabRequest,
} from '../../../common/lab/api.js';
import { currentUser } from '../../http/access.js';
import { toLabDetail, toLabSummary, toLabVersionInfo } from '../../labs/views.js';
import type { Services } from '../../services.js';

/** Authors and admins see problems, YAML and check commands; users do not. */
function canAuthor(request: FastifyRequest): boolean {
  return request.user?.role === 'author' || request.user?.role === 'admin';
}

export const labRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { labs, audit, labVisibility } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/labs',
    { config: { access: 'user' }, schema: { tags: ['labs'], summary: 'The catalog: every lab the caller may see (labs limited to groups show to their members), valid or broken', response: { 200: LabList, ...errors } } },
    async (request) => ({ labs: (await labVisibility.filter(currentUser(request), await labs.list())).map((entry) => toLabSummary(entry, canAuthor(request))) }),
  );

  app.post(
    '/api/labs/validate',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'Check YAML as a lab without saving it (for editors)', body: ValidateLabRequest, response: { 200: LabValidation, ...errors } },
    },
    async (request) => labs.validate(request.body.yaml),
  );

  app.get(
    '/api/labs/:lab',
    {
      config: { access: 'user' },
      schema: { tags: ['labs'], summary: 'One lab with its machines and instructions', params: LabParams, response: { 200: LabResponse, ...errors } },
    },
    async (request) => {
      const entry = await labVisibility.assertCanSee(currentUser(request), await labs.get(request.params.lab), request.params.lab);
      return { lab: toLabDetail(entry, canAuthor(request)) };
    },
  );

  app.post(
    '/api/labs',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'Create a lab from YAML (version 1)', body: CreateLabRequest, response: { 201: LabResponse, ...errors } },
    },
    async (request, reply) => {
      const author = currentUser(request).username;
      const entry = await labs.create(request.body.yaml, author);
      await audit.record({ actor: author, action: 'lab.create', target: entry.name, ip: request.ip, detail: { version: entry.version } });
      return reply.code(201).send({ lab: toLabDetail(entry, true) });
    },
  );

  app.put(
    '/api/labs/:lab',
    {
      config: { access: 'author' },
      schema: {
        tags: ['labs'],
        summary: 'Save a new version of a lab written through the API (file labs change in their file)',
        params: LabParams,
        body: UpdateLabRequest,
        response: { 200: LabResponse, ...errors },
      },
    },
    async (request) => {
      const author = currentUser(request).username;
      const entry = await labs.update(request.params.lab, request.body.yaml, author, request.body.baseVersion);
      await audit.record({ actor: author, action: 'lab.update', target: entry.name, ip: request.ip, detail: { version: entry.version } });
      return { lab: toLabDetail(entry, true) };
    },
  );

  app.delete(
    '/api/labs/:lab',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'Delete a lab written through the API; running instances keep their version', params: LabParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await labs.delete(request.params.lab);
      await audit.record({ actor: currentUser(request).username, action: 'lab.delete', target: request.params.lab, ip: request.ip });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/labs/:lab/versions',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'The saved versions of a lab, newest first', params: LabParams, response: { 200: LabVersionList, ...errors } },
    },
    async (request) => ({ versions: (await labs.versions(request.params.lab)).map(toLabVersionInfo) }),
  );

  app.get(
    '/api/labs/:lab/versions/:version',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'One saved version of a lab, with its YAML', params: LabVersionParams, response: { 200: LabVersionResponse, ...errors } },
    },
    async (request) => {
      const row = await labs.version(request.params.lab, request.params.version);
      return { version: { ...toLabVersionInfo(row), yaml: row.yaml } };
    },
  );
};
