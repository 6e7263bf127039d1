import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { sameSitePath } from '../../../common/next-path.js';
import { AuthConfig, ErrorResponse, LoginRequest, MeResponse, User } from '../../../common/api.js';
import { admitClaims } from '../../auth/oidc-claims.js';
import { accountFor } from '../../auth/oidc-accounts.js';
import { loginTtlMs, SsoRefused } from '../../auth/oidc.js';
import { LabhubError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import type { Services } from '../../services.js';
import { toUser } from '../../store/users.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { sessions, users, loginLimiter, passwords, audit, cookieName, config, groups, sso } = services;
  const secure = config.publicUrl.startsWith('https:');
  // Host-only, like the session cookie: it binds the browser that started a single sign-on login to its end.
  const ssoCookieName = secure ? '__Host-labhub_sso' : 'labhub_sso';
  const ssoName = sso ? (config.oidcName ?? new URL(sso.login.issuer).hostname) : undefined;

  const setSessionCookie = (reply: FastifyReply, token: string, expiresAt: number) =>
    reply.setCookie(cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: new Date(expiresAt) });

  app.get(
    '/api/auth/config',
    { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'How to log in here: password, single sign-on or both (for the login page)', response: { 200: AuthConfig } } },
    async () => ({ localLogin: config.localLogin, sso: ssoName ? { name: ssoName, loginUrl: '/api/auth/oidc/login' } : null }),
  );

  app.post(
    '/api/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a local account; sets the session cookie',
        body: LoginRequest,
        response: { 200: Type.Object({ user: User }), 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (!config.localLogin) {
        throw new LabhubError('LABHUB_FORBIDDEN', `Password login is turned off on this labhub; sign in with ${ssoName ?? 'single sign-on'} instead.`);
      }
      const { username, password } = request.body;
      // request.ip is the client behind a trusted proxy (LABHUB_TRUST_PROXY), else the peer: the audit log uses the same.
      const retryAfter = loginLimiter.admit(request.ip, username);
      if (retryAfter > 0) {
        throw new LabhubError('LABHUB_RATE_LIMITED', `Too many login attempts; try again in ${retryAfter} s.`, {
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const user = await users.findByUsername(username);
      // Unknown names and accounts without a password cost one verification too, and a disabled
      // account answers exactly as a wrong password: the answer never tells which accounts exist.
      const matched = await passwords.matches(user?.password_hash, password);
      if (!user || !matched || user.disabled === 1) {
        loginLimiter.recordFailure(request.ip, username);
        await audit.record({ actor: username, action: 'login.failed', ip: request.ip, ...(user && matched && { detail: { reason: 'disabled' } }) });
        throw new LabhubError('LABHUB_BAD_CREDENTIALS');
      }
      loginLimiter.recordSuccess(request.ip, username);
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
      // The session's open terminals and desktops close now, not when they next reconnect.
      await services.connections.recheck();
      reply.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/me',
    { config: { access: 'user' }, schema: { tags: ['auth'], summary: 'The logged-in user and their groups', response: { 200: MeResponse, 401: ErrorResponse } } },
    async (request) => {
      const user = currentUser(request);
      return { user: toUser(user), groups: (await groups.groupsOf(user.id)).map((group) => group.name) };
    },
  );

  app.get(
    '/api/auth/oidc/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Start a single sign-on login: redirects to the provider',
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000, description: 'a path on this site to return to' })) }),
        response: { 302: Type.Null(), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (!sso) throw new LabhubError('LABHUB_NOT_FOUND', 'Single sign-on is not configured on this labhub.');
      try {
        const started = await sso.login.start(safeNext(request.query.next));
        reply.setCookie(ssoCookieName, started.cookieToken, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: loginTtlMs / 1000 });
        return reply.redirect(started.url);
      } catch (error) {
        if (!(error instanceof SsoRefused)) throw error;
        request.log.warn({ reason: error.reason, detail: error.detail }, 'single sign-on cannot start');
        return reply.redirect(`/login?sso_error=${error.reason}`);
      }
    },
  );

  app.get(
    '/api/auth/oidc/callback',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], summary: "The provider's answer: logs in and redirects to the app, or to the login page with the reason", response: { 302: Type.Null(), 404: ErrorResponse } },
    },
    async (request, reply) => {
      if (!sso) throw new LabhubError('LABHUB_NOT_FOUND', 'Single sign-on is not configured on this labhub.');
      reply.clearCookie(ssoCookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      const queryAt = request.url.indexOf('?');
      let claims: Record<string, unknown> | undefined;
      try {
        const finished = await sso.login.finish(queryAt === -1 ? '' : request.url.slice(queryAt), request.cookies[ssoCookieName]);
        claims = finished.claims;
        const verdict = admitClaims(claims, { allowedDomains: config.oidcAllowedDomains, groupsClaim: config.oidcGroupsClaim });
        if (!verdict.ok) throw new SsoRefused(verdict.reason, 'claims refused');
        const account = await accountFor(verdict.identity, sso.login.issuer, { users, identities: sso.identities, groups }, config.oidcGroupsClaim !== undefined);
        // A new id at every login, as for passwords: a session id planted before login is never promoted.
        if (request.sessionToken) await sessions.revoke(request.sessionToken);
        const userAgent = request.headers['user-agent'];
        const session = await sessions.create(account.user.id, { ip: request.ip, ...(userAgent && { userAgent }) });
        setSessionCookie(reply, session.token, session.expiresAt);
        await audit.record({
          actor: account.user.username,
          action: 'login',
          ip: request.ip,
          detail: { method: 'sso', ...(account.created && { created: true }), ...(account.groups && { groupsAdded: account.groups.added, groupsRemoved: account.groups.removed }) },
        });
        return reply.redirect(finished.next);
      } catch (error) {
        if (!(error instanceof SsoRefused)) throw error;
        request.log.warn({ reason: error.reason, detail: error.detail }, 'single sign-on refused');
        const email = typeof claims?.email === 'string' ? claims.email.slice(0, 64) : null;
        await audit.record({ actor: email, action: 'login.failed', ip: request.ip, detail: { method: 'sso', reason: error.reason, ...(typeof claims?.sub === 'string' && { subject: claims.sub.slice(0, 200) }) } });
        return reply.redirect(`/login?sso_error=${error.reason}`);
      }
    },
  );
};

/** Where to go after logging in: a page of this site (not the login page again, not the API), else `/`. */
function safeNext(raw: string | undefined): string {
  const path = sameSitePath(raw);
  return path === undefined || path.startsWith('/login') || path.startsWith('/api/') ? '/' : path;
}
