import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../../../common/api.js';
import { CreateInstanceRequest, InstanceList, InstanceParams, InstanceResponse, PowerParams } from '../../../common/instances.js';
import { currentUser } from '../../http/access.js';
import { appEntryUrl } from '../../gateway/apps.js';
import { toInstance, type InstanceService } from '../../instances/instance-service.js';
import type { ActivityTracker } from '../../gateway/activity.js';
import { idleDeadline } from '../../instances/limits.js';
import type { InstanceRow } from '../../store/instances.js';
import type { Services } from '../../services.js';

export const instanceRoutes: FastifyPluginAsyncTypebox<{ services: Services; instances: InstanceService; activity: ActivityTracker }> = async (app, { services, instances, activity }) => {
  const { users, audit } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
  const appUrl = appEntryUrl(services.config.appsDomain);
  const viewWith = (row: InstanceRow, owner: string) => toInstance(row, { owner, idleStopAt: idleDeadline(row, activity), appUrl });
  const view = async (row: InstanceRow) => viewWith(row, (await users.usernames([row.owner_id])).get(row.owner_id) ?? '?');

  app.post(
    '/api/instances',
    {
      config: { access: 'user' },
      schema: { tags: ['instances'], summary: 'Start a lab for the caller', body: CreateInstanceRequest, response: { 201: InstanceResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const instance = await view(await instances.create(user, request.body.lab));
      await audit.record({ actor: user.username, action: 'instance.create', target: instance.id, ip: request.ip, detail: { lab: instance.lab.name, version: instance.lab.version } });
      return reply.code(201).send({ instance });
    },
  );

  app.get(
    '/api/instances',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: "The caller's instances (all of them for admins)", response: { 200: InstanceList, 401: ErrorResponse } } },
    async (request) => {
      const rows = await instances.list(currentUser(request));
      const names = await users.usernames([...new Set(rows.map((row) => row.owner_id))]);
      return { instances: rows.map((row) => viewWith(row, names.get(row.owner_id) ?? '?')) };
    },
  );

  app.get(
    '/api/instances/:id',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: 'State, machines and their access methods', params: InstanceParams, response: { 200: InstanceResponse, ...errors } } },
    async (request) => {
      const row = await instances.get(request.params.id, currentUser(request));
      return { instance: await view(row) };
    },
  );

  app.post(
    '/api/instances/:id/extend',
    {
      config: { access: 'user' },
      schema: { tags: ['instances'], summary: "More time before the time limit stops the instance (half the lab's limit, up to three limits in all)", params: InstanceParams, response: { 202: InstanceResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user);
      const extended = await instances.extend(row);
      await audit.record({ actor: user.username, action: 'instance.extend', target: row.id, ip: request.ip });
      return reply.code(202).send({ instance: await view(extended) });
    },
  );

  app.post(
    '/api/instances/:id/:action',
    {
      config: { access: 'user' },
      schema: { tags: ['instances'], summary: 'Power and reset: start, stop, pause, resume, reset', params: PowerParams, response: { 202: InstanceResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user);
      const updated = await instances.power(row, request.params.action);
      await audit.record({ actor: user.username, action: `instance.${request.params.action}`, target: row.id, ip: request.ip });
      return reply.code(202).send({ instance: await view(updated) });
    },
  );

  app.delete(
    '/api/instances/:id',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: 'Destroy the instance and everything it runs', params: InstanceParams, response: { 202: Type.Null(), ...errors } } },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user);
      await instances.delete(row);
      await audit.record({ actor: user.username, action: 'instance.delete', target: row.id, ip: request.ip });
      return reply.code(202).send(null);
    },
  );
};
