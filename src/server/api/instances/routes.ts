import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../../../common/api.js';
import { CreateInstanceRequest, CreateShareRequest, InstanceList, InstanceParams, InstanceResponse, PowerParams, ShareList, ShareParams, ShareResponse, type InstanceAccess } from '../../../common/instances.js';
import { LabhubError, validationError } from '../../errors.js';
import type { ShareRepository, ShareRow } from '../../store/shares.js';
import { currentUser } from '../../http/access.js';
import { appEntryUrl } from '../../gateway/apps.js';
import { toInstance, type InstanceService } from '../../instances/instance-service.js';
import type { ActivityTracker } from '../../gateway/activity.js';
import type { GatewayConnections } from '../../gateway/connections.js';
import { idleDeadline } from '../../instances/limits.js';
import { labOf } from '../../instances/snapshot.js';
import type { InstanceRow } from '../../store/instances.js';
import type { Services } from '../../services.js';

export interface InstanceRouteDeps {
  services: Services;
  instances: InstanceService;
  activity: ActivityTracker;
  shares: ShareRepository;
  /** Open sockets, re-checked when a share changes. */
  connections: GatewayConnections;
}

/** Power actions that (re)start machines: refused like a new instance when the host cannot run the lab. */
const startsMachines = new Set(['start', 'resume', 'reset']);

export const instanceRoutes: FastifyPluginAsyncTypebox<InstanceRouteDeps> = async (app, { services, instances, activity, shares, connections }) => {
  const { users, audit } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
  const appUrl = appEntryUrl(services.config.appsDomain);
  const viewWith = (row: InstanceRow, owner: string, access: InstanceAccess) => toInstance(row, { owner, access, idleStopAt: idleDeadline(row, activity), appUrl, now: instances.now() });
  const view = async (row: InstanceRow, access: InstanceAccess) => viewWith(row, (await users.usernames([row.owner_id])).get(row.owner_id) ?? '?', access);

  app.post(
    '/api/instances',
    {
      config: { access: 'user' },
      schema: { tags: ['instances'], summary: 'Start a lab for the caller', body: CreateInstanceRequest, response: { 201: InstanceResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      // A lab limited to groups the caller is not in does not exist for them (labs/visibility.ts).
      await services.labVisibility.assertCanSee(user, await services.labs.get(request.body.lab), request.body.lab);
      // A lab this host cannot run (no DNS for its network, no QEMU for its VMs…) is refused before anything is made.
      await services.doctor.assertCanStart((await services.labs.resolve(request.body.lab)).lab);
      const instance = await view(await instances.create(user, request.body.lab), 'owner');
      await audit.record({ actor: user.username, action: 'instance.create', target: instance.id, ip: request.ip, detail: { lab: instance.lab.name, version: instance.lab.version } });
      return reply.code(201).send({ instance });
    },
  );

  app.get(
    '/api/instances',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: "The caller's instances and those shared with them (all of them for admins)", response: { 200: InstanceList, 401: ErrorResponse } } },
    async (request) => {
      const found = await instances.list(currentUser(request));
      const names = await users.usernames([...new Set(found.map(({ row }) => row.owner_id))]);
      return { instances: found.map(({ row, access }) => viewWith(row, names.get(row.owner_id) ?? '?', access)) };
    },
  );

  app.get(
    '/api/instances/:id',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: 'State, machines and their access methods', params: InstanceParams, response: { 200: InstanceResponse, ...errors } } },
    async (request) => {
      const { row, access } = await instances.authorize(request.params.id, currentUser(request), 'watch');
      return { instance: await view(row, access) };
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
      const { row, access } = await instances.authorize(request.params.id, user, 'use');
      const extended = await instances.extend(row);
      await audit.record({ actor: user.username, action: 'instance.extend', target: row.id, ip: request.ip });
      return reply.code(202).send({ instance: await view(extended, access) });
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
      const { row, access } = await instances.authorize(request.params.id, user, 'use');
      if (startsMachines.has(request.params.action)) await services.doctor.assertCanStart(labOf(row));
      const updated = await instances.power(row, request.params.action);
      await audit.record({ actor: user.username, action: `instance.${request.params.action}`, target: row.id, ip: request.ip });
      return reply.code(202).send({ instance: await view(updated, access) });
    },
  );

  app.delete(
    '/api/instances/:id',
    { config: { access: 'user' }, schema: { tags: ['instances'], summary: 'Destroy the instance and everything it runs', params: InstanceParams, response: { 202: Type.Null(), ...errors } } },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user, 'manage');
      await instances.delete(row);
      await audit.record({ actor: user.username, action: 'instance.delete', target: row.id, ip: request.ip });
      return reply.code(202).send(null);
    },
  );

  const toShare = (row: ShareRow, username: string) => ({ username, access: row.access, grantedBy: row.granted_by, createdAt: new Date(row.created_at).toISOString() });

  app.get(
    '/api/instances/:id/shares',
    { config: { access: 'user' }, schema: { tags: ['sharing'], summary: 'Who else may watch or use the instance', params: InstanceParams, response: { 200: ShareList, ...errors } } },
    async (request) => {
      const row = await instances.get(request.params.id, currentUser(request), 'manage');
      return { shares: (await shares.ofInstance(row.id)).map((share) => toShare(share, share.username)) };
    },
  );

  app.post(
    '/api/instances/:id/shares',
    {
      config: { access: 'user' },
      schema: { tags: ['sharing'], summary: 'Let another user watch (view) or use (control) the instance; changes an existing share', params: InstanceParams, body: CreateShareRequest, response: { 201: ShareResponse, ...errors } },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user, 'manage');
      const grantee = await users.findByUsername(request.body.username);
      if (!grantee || grantee.disabled === 1) throw validationError([{ path: 'body.username', message: `there is no user "${request.body.username}"` }]);
      if (grantee.id === row.owner_id) throw validationError([{ path: 'body.username', message: 'is the owner of the instance' }]);
      const share: ShareRow = { instance_id: row.id, user_id: grantee.id, access: request.body.access, granted_by: user.username, created_at: Date.now() };
      await shares.put(share);
      await audit.record({ actor: user.username, action: 'share.grant', target: row.id, ip: request.ip, detail: { username: grantee.username, access: share.access } });
      // A share lowered from control to view closes the grantee's sockets that could type.
      void connections.recheck();
      return reply.code(201).send({ share: toShare(share, grantee.username) });
    },
  );

  app.delete(
    '/api/instances/:id/shares/:username',
    { config: { access: 'user' }, schema: { tags: ['sharing'], summary: "Withdraw a share; the user's open terminals and desktops of the instance close", params: ShareParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user, 'manage');
      const grantee = await users.findByUsername(request.params.username);
      if (!grantee || !(await shares.remove(row.id, grantee.id))) throw new LabhubError('LABHUB_NOT_FOUND', `The instance is not shared with "${request.params.username}".`);
      await audit.record({ actor: user.username, action: 'share.revoke', target: row.id, ip: request.ip, detail: { username: grantee.username } });
      await connections.recheck();
      return reply.code(204).send(null);
    },
  );
};
