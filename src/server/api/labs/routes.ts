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
  SetLabAuthorsRequest,
  UpdateLabRequest,
  ValidateLabRequest,
} from '../../../common/lab/api.js';
import { currentUser } from '../../http/access.js';
import type { CatalogEntry } from '../../labs/catalog.js';
import { labRoleOf } from '../../labs/ownership.js';
import { toLabDetail, toLabSummary, toLabVersionInfo } from '../../labs/views.js';
import type { Services } from '../../services.js';

/** How the caller holds the lab: its owner, authors and admins see problems, YAML and check commands (decision 0015). */
function roleOn(request: FastifyRequest, entry: CatalogEntry) {
  return labRoleOf(currentUser(request), entry);
}

export const labRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { labs, audit, labVisibility, labAuthoring } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/labs',
    { config: { access: 'user' }, schema: { tags: ['labs'], summary: 'The catalog: every lab the caller may see (labs limited to groups show to their members), valid or broken', response: { 200: LabList, ...errors } } },
    async (request) => ({ labs: (await labVisibility.filter(currentUser(request), await labs.list())).map((entry) => toLabSummary(entry, roleOn(request, entry))) }),
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
      schema: {
        tags: ['labs'],
        summary: "One lab with its machines and instructions (for those who do not hold it, only what a fresh instance's steps show)",
        params: LabParams,
        response: { 200: LabResponse, ...errors },
      },
    },
    async (request) => {
      const entry = await labVisibility.assertCanSee(currentUser(request), await labs.get(request.params.lab), request.params.lab);
      return { lab: toLabDetail(entry, roleOn(request, entry)) };
    },
  );

  app.post(
    '/api/labs',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: 'Create a lab from YAML (version 1), owned by the caller; 409 when the name is taken', body: CreateLabRequest, response: { 201: LabResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const entry = await labAuthoring.create(user, request.body.yaml);
      await audit.record({ actor: user.username, action: 'lab.create', target: entry.name, ip: request.ip, detail: { version: entry.version } });
      return reply.code(201).send({ lab: toLabDetail(entry, roleOn(request, entry)) });
    },
  );

  app.put(
    '/api/labs/:lab',
    {
      config: { access: 'author' },
      schema: {
        tags: ['labs'],
        summary: "Save a new version of a lab written through the API (file labs change in their file); its owner, its authors and admins only",
        params: LabParams,
        body: UpdateLabRequest,
        response: { 200: LabResponse, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const entry = await labAuthoring.update(user, request.params.lab, request.body.yaml, request.body.baseVersion);
      await audit.record({ actor: user.username, action: 'lab.update', target: entry.name, ip: request.ip, detail: { version: entry.version } });
      return { lab: toLabDetail(entry, roleOn(request, entry)) };
    },
  );

  app.put(
    '/api/labs/:lab/authors',
    {
      config: { access: 'author' },
      schema: {
        tags: ['labs'],
        summary: "Name the co-authors of a lab written through the API (its metadata.authors, saved as a new version); its owner and admins only",
        params: LabParams,
        body: SetLabAuthorsRequest,
        response: { 200: LabResponse, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const entry = await labAuthoring.setAuthors(user, request.params.lab, request.body.authors, request.body.baseVersion);
      await audit.record({ actor: user.username, action: 'lab.authors', target: entry.name, ip: request.ip, detail: { authors: entry.authors, version: entry.version } });
      return { lab: toLabDetail(entry, roleOn(request, entry)) };
    },
  );

  app.delete(
    '/api/labs/:lab',
    {
      config: { access: 'author' },
      schema: {
        tags: ['labs'],
        summary: 'Delete a lab written through the API (its owner, its authors and admins); running instances keep their version',
        params: LabParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await labAuthoring.delete(currentUser(request), request.params.lab);
      await audit.record({ actor: currentUser(request).username, action: 'lab.delete', target: request.params.lab, ip: request.ip });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/labs/:lab/versions',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: "The saved versions of a lab, newest first; its owner, its authors and admins only", params: LabParams, response: { 200: LabVersionList, ...errors } },
    },
    async (request) => ({ versions: (await labAuthoring.versions(currentUser(request), request.params.lab)).map(toLabVersionInfo) }),
  );

  app.get(
    '/api/labs/:lab/versions/:version',
    {
      config: { access: 'author' },
      schema: { tags: ['labs'], summary: "One saved version of a lab, with its YAML; its owner, its authors and admins only", params: LabVersionParams, response: { 200: LabVersionResponse, ...errors } },
    },
    async (request) => {
      const row = await labAuthoring.version(currentUser(request), request.params.lab, request.params.version);
      return { version: { ...toLabVersionInfo(row), yaml: row.yaml } };
    },
  );
};
