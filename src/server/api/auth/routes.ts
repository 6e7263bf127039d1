import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ErrorResponse, LoginRequest, User } from '../../../common/api.js';
import { verifyPassword } from '../../auth/passwords.js';
import { LabhubError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import type { Services } from '../../services.js';
import { toUser } from '../../store/users.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { sessions, users, loginLimiter, audit, cookieName, config } = services;
  const secure = config.publicUrl.startsWith('https:');

  const setSessionCookie = (reply: FastifyReply, token: string, expiresAt: number) =>
    reply.setCookie(cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: new Date(expiresAt) });

  app.post(
    '/api/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a local account; sets the session cookie',
        body: LoginRequest,
        response: { 200: Type.Object({ user: User }), 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const retryAfter = loginLimiter.admit(request.ip, username);
      if (retryAfter > 0) {
        throw new LabhubError('LABHUB_RATE_LIMITED', `Too many login attempts; try again in ${retryAfter} s.`, {
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const user = await users.findByUsername(username);
      if (!user || !(await verifyPassword(user.password_hash, password))) {
        loginLimiter.recordFailure(username);
        await audit.record({ actor: username, action: 'login.failed', ip: request.ip });
        throw new LabhubError('LABHUB_BAD_CREDENTIALS');
      }
      if (user.disabled === 1) throw new LabhubError('LABHUB_FORBIDDEN', 'This account is disabled.');
      loginLimiter.recordSuccess(username);
      // A new id at every login: a session id planted before login is never promoted.
      if (request.sessionToken) await sessions.revoke(request.sessionToken);
      const userAgent = request.headers['user-agent'];
      const session = await sessions.create(user.id, { ip: request.ip, ...(userAgent && { userAgent }) });
      setSessionCookie(reply, session.token, session.expiresAt);
      await audit.record({ actor: user.username, action: 'login', ip: request.ip });
      return { user: toUser(user) };
    },
  );

  app.post(
    '/api/auth/logout',
    { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'End the current session', response: { 204: Type.Null() } } },
    async (request, reply) => {
      if (request.sessionToken) await sessions.revoke(request.sessionToken);
      if (request.user) await audit.record({ actor: request.user.username, action: 'logout', ip: request.ip });
      reply.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/me',
    { config: { access: 'user' }, schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: Type.Object({ user: User }), 401: ErrorResponse } } },
    async (request) => ({ user: toUser(currentUser(request)) }),
  );
};
