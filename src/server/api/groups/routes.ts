import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AddMemberRequest, CreateGroupRequest, ErrorResponse, GroupDetail, GroupList, GroupMemberParams, GroupParams, type Group } from '../../../common/api.js';
import { LabhubError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import type { Services } from '../../services.js';
import type { GroupRepository, GroupRow, GroupWithCount } from '../../store/groups.js';

/** Admins manage groups (a course, a class) and their members; labs name groups in `spec.groups`. Every change is audited. */
export const groupRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { groups, users, audit } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/admin/groups',
    { config: { access: 'admin' }, schema: { tags: ['admin'], summary: 'All groups, with how many members each has', response: { 200: GroupList, ...errors } } },
    async () => ({ groups: (await groups.list()).map(toGroup) }),
  );

  app.post(
    '/api/admin/groups',
    { config: { access: 'admin' }, schema: { tags: ['admin'], summary: 'Create a group', body: CreateGroupRequest, response: { 201: GroupDetail, ...errors } } },
    async (request, reply) => {
      const { name, description = '' } = request.body;
      const created = await groups.create(name, description.trim());
      if (!created) throw new LabhubError('LABHUB_CONFLICT', `A group named "${name}" already exists.`, { details: { problems: [{ path: 'body.name', message: 'is taken' }] } });
      await audit.record({ actor: currentUser(request).username, action: 'group.create', target: name, ip: request.ip });
      return reply.code(201).send({ group: toGroup({ ...created, memberCount: 0 }), members: [] });
    },
  );

  app.get(
    '/api/admin/groups/:group',
    { config: { access: 'admin' }, schema: { tags: ['admin'], summary: 'One group and its members', params: GroupParams, response: { 200: GroupDetail, ...errors } } },
    async (request) => detail(groups, await mustFind(groups, request.params.group)),
  );

  app.delete(
    '/api/admin/groups/:group',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Delete a group; labs limited to it only show to admins and their authors until changed', params: GroupParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const group = await mustFind(groups, request.params.group);
      if (!(await groups.delete(group.id))) throw notFound(group.name);
      await audit.record({ actor: currentUser(request).username, action: 'group.delete', target: group.name, ip: request.ip });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/admin/groups/:group/members',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Add a user to a group', params: GroupParams, body: AddMemberRequest, response: { 200: GroupDetail, ...errors } },
    },
    async (request) => {
      const group = await mustFind(groups, request.params.group);
      const { username } = request.body;
      const user = await users.findByUsername(username);
      if (!user) throw new LabhubError('LABHUB_NOT_FOUND', `There is no user "${username}".`, { details: { problems: [{ path: 'body.username', message: 'is not a user' }] } });
      if (!(await groups.addMember(group.id, user.id, 'admin'))) {
        throw new LabhubError('LABHUB_CONFLICT', `${username} is already a member of ${group.name}.`, { details: { problems: [{ path: 'body.username', message: 'is already a member' }] } });
      }
      await audit.record({ actor: currentUser(request).username, action: 'group.member.add', target: group.name, ip: request.ip, detail: { username } });
      return detail(groups, group);
    },
  );

  app.delete(
    '/api/admin/groups/:group/members/:username',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Remove a user from a group', params: GroupMemberParams, response: { 200: GroupDetail, ...errors } },
    },
    async (request) => {
      const group = await mustFind(groups, request.params.group);
      const { username } = request.params;
      const user = await users.findByUsername(username);
      if (!user || !(await groups.removeMember(group.id, user.id))) throw new LabhubError('LABHUB_NOT_FOUND', `${username} is not a member of ${group.name}.`);
      await audit.record({ actor: currentUser(request).username, action: 'group.member.remove', target: group.name, ip: request.ip, detail: { username } });
      return detail(groups, group);
    },
  );
};

async function mustFind(groups: GroupRepository, name: string): Promise<GroupRow> {
  const group = await groups.findByName(name);
  if (!group) throw notFound(name);
  return group;
}

async function detail(groups: GroupRepository, group: GroupRow): Promise<GroupDetail> {
  const members = await groups.members(group.id);
  return {
    group: toGroup({ ...group, memberCount: members.length }),
    members: members.map((member) => ({ username: member.username, displayName: member.displayName, source: member.source, addedAt: new Date(member.addedAt).toISOString() })),
  };
}

function toGroup(row: GroupWithCount): Group {
  return { name: row.name, description: row.description, memberCount: row.memberCount, createdAt: new Date(row.created_at).toISOString() };
}

function notFound(name: string): LabhubError {
  return new LabhubError('LABHUB_NOT_FOUND', `There is no group "${name}".`);
}
