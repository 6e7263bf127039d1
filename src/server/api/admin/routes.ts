import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DoctorReport } from '../../../common/doctor.js';
import { AuditList, AuditQuery, CreateUserRequest, ErrorResponse, UpdateUserRequest, User, UserList, UsernameParams } from '../../../common/api.js';
import { hashPassword } from '../../auth/passwords.js';
import { LabhubError, validationError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import type { Services } from '../../services.js';
import { toUser } from '../../store/users.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { users, sessions, audit } = services;
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/admin/users',
    { config: { access: 'admin' }, schema: { tags: ['admin'], summary: 'All users', response: { 200: UserList, ...errors } } },
    async () => ({ users: (await users.list()).map(toUser) }),
  );

  app.post(
    '/api/admin/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Create a local user', body: CreateUserRequest, response: { 201: Type.Object({ user: User }), ...errors } },
    },
    async (request, reply) => {
      const { username, password, role = 'user', displayName, email } = request.body;
      const created = await users.create({ username, displayName, email, role, passwordHash: await hashPassword(password) });
      if (!created) {
        throw new LabhubError('LABHUB_CONFLICT', `A user named "${username}" already exists.`, { details: { problems: [{ path: 'body.username', message: 'is taken' }] } });
      }
      await audit.record({ actor: currentUser(request).username, action: 'user.create', target: username, ip: request.ip, detail: { role } });
      return reply.code(201).send({ user: toUser(created) });
    },
  );

  app.patch(
    '/api/admin/users/:username',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Change a user: role, disabled, password, display name, email',
        params: UsernameParams,
        body: UpdateUserRequest,
        response: { 200: Type.Object({ user: User }), ...errors },
      },
    },
    async (request) => {
      const target = await users.findByUsername(request.params.username);
      if (!target) throw new LabhubError('LABHUB_NOT_FOUND', `There is no user "${request.params.username}".`);
      const { role, disabled, password, displayName, email } = request.body;
      const losesAdmin = target.role === 'admin' && target.disabled === 0 && ((role !== undefined && role !== 'admin') || disabled === true);
      if (losesAdmin && (await users.countActiveAdmins()) <= 1) {
        throw new LabhubError('LABHUB_CONFLICT', 'This is the last active admin; make another admin first.');
      }
      const updated = await users.update(target.id, {
        ...(role !== undefined && { role }),
        ...(disabled !== undefined && { disabled }),
        ...(password !== undefined && { passwordHash: await hashPassword(password) }),
        ...(displayName !== undefined && { displayName }),
        ...(email !== undefined && { email }),
      });
      // A disabled user or a new password ends every session of that user.
      if (disabled === true || password !== undefined) await sessions.revokeAllFor(target.id);
      // Their open sockets close with the sessions, and an admin made a user loses what only admins could watch.
      if (disabled === true || password !== undefined || role !== undefined) await services.connections.recheck();
      const changed = Object.keys(request.body).filter((key) => key !== 'password');
      await audit.record({
        actor: currentUser(request).username,
        action: 'user.update',
        target: target.username,
        ip: request.ip,
        detail: { changed: password !== undefined ? [...changed, 'password'] : changed, ...(role !== undefined && { role }), ...(disabled !== undefined && { disabled }) },
      });
      return { user: toUser(updated ?? target) };
    },
  );

  app.get(
    '/api/admin/doctor',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'The host checks of `labhub doctor`, run now (or within the last 10 s): each says what it found, or what is wrong and the command that fixes it', response: { 200: DoctorReport, ...errors } },
    },
    async () => services.doctor.report(),
  );

  app.get(
    '/api/admin/audit',
    { config: { access: 'admin' }, schema: { tags: ['admin'], summary: 'The audit log, newest first; filter by actor, action and time (`since`, `until`), page with `before`', querystring: AuditQuery, response: { 200: AuditList, ...errors } } },
    async (request) => {
      const { actor, action, limit = 100, before, since, until } = request.query;
      const rows = await audit.list({
        limit,
        ...(actor && { actor }),
        ...(action && { action }),
        ...(before !== undefined && { before }),
        ...(since !== undefined && { since: epochOf(since, 'querystring.since') }),
        ...(until !== undefined && { until: epochOf(until, 'querystring.until') }),
      });
      return {
        events: rows.map((row) => ({
          id: Number(row.id),
          at: new Date(row.at).toISOString(),
          actor: row.actor,
          action: row.action,
          target: row.target,
          ip: row.ip,
          detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
        })),
      };
    },
  );
};

/** A date-time the schema admitted as milliseconds; the few it admits that JavaScript cannot read (a leap second) are refused by name. */
function epochOf(value: string, path: string): number {
  const epoch = Date.parse(value);
  if (Number.isNaN(epoch)) throw validationError([{ path, message: 'is not a time labhub can read; use e.g. 2025-01-31T12:00:00Z' }]);
  return epoch;
}
