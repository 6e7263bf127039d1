import http from 'node:http';
import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { sameSitePath } from '../../common/next-path.js';
import type { InstanceAccess } from '../../common/instances.js';
import type { SessionService } from '../auth/session-service.js';
import { LabhubError, validationError } from '../errors.js';
import { assertUpgradeOrigin } from '../http/origin.js';
import type { InstanceService } from '../instances/instance-service.js';
import { labOf } from '../instances/snapshot.js';
import { RuntimeError, type Runtime } from '../runtime/runtime.js';
import type { AuditRepository } from '../store/audit.js';
import type { UserRow } from '../store/users.js';
import type { ActivityTracker } from './activity.js';
import { withoutLabhubCookies } from './app-cookies.js';
import { appResponseHeaders, appSandbox, hopByHop, type AppMode } from './app-headers.js';
import type { AppGrant, AppSessions } from './app-sessions.js';
import type { GatewayConnections } from './connections.js';
import { closeCodes, relayMessages } from './relay.js';

/** The cookie of an app session on an app's own host. */
const appCookie = 'labhub_app';
const ticketPath = '/__labhub/ticket';

/**
 * Every request to an app's host is routed under this prefix (see `appHostRewrite`), so that no
 * route of labhub's own (its API, its web files) can answer on an app's host and shadow a path of
 * the app: on an app host, every path is the app's.
 */
const appHostPrefix = '/__labhub-app-host';

/** `<port>-<machine>-<id>.<domain>`, capturing port, machine and instance id. */
function appHostPattern(domain: string): RegExp {
  return new RegExp(`^(\\d{1,5})-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-([a-z][a-z2-7]{11})\\.${domain.replace(/\./g, '\\.')}(?::\\d+)?$`);
}

/** The server's URL rewrite (before routing): requests to an app host go to the app-host routes whatever their path; others are left alone. */
export function appHostRewrite(appsDomain: string | undefined): ((request: { url?: string; headers: { host?: string } }) => string) | undefined {
  if (!appsDomain) return undefined;
  const pattern = appHostPattern(appsDomain);
  return (request) => (pattern.test(request.headers.host ?? '') ? `${appHostPrefix}${request.url ?? '/'}` : (request.url ?? '/'));
}

/** One app of one machine, as a request addresses it. */
interface AppTarget {
  id: string;
  machine: string;
  port: number;
  /** Path and query as the app sees them. */
  path: string;
  /** What path mode removed (`/apps/:id/:machine/:port/~<session>`); empty on an app's own host. */
  prefix: string;
  /** Who asks, with which access, and the labhub session whose authority they act on (their app sockets close with it). */
  caller: { user: UserRow; access: InstanceAccess; sessionToken: string };
}

interface PathParams {
  id: string;
  machine: string;
  port: string;
  '*': string;
}

export interface AppRouteDeps {
  instances: InstanceService;
  runtime: Runtime;
  activity: ActivityTracker;
  sessions: SessionService;
  appSessions: AppSessions;
  cookieName: string;
  publicUrl: string;
  appsDomain: string | undefined;
  audit: AuditRepository;
  /** An app's open WebSockets close when their labhub session ends or their user loses the right to use the instance. */
  connections: GatewayConnections;
}

/**
 * HTTP apps inside machines (docs/architecture.md §8), forwarded to a port the lab declares through the
 * runtime (never to an engine address). Learner content never runs with labhub's origin
 * (docs/decisions/0014-apps-isolation.md):
 * - path mode: `/apps/:id/:machine/:port/…` on labhub's origin, for the instance's owner only, every
 *   answer sandboxed into an opaque origin and stripped of cookies and service-worker headers;
 * - with `LABHUB_APPS_DOMAIN`: `<port>-<machine>-<id>.<apps domain>`, one origin per app, entered
 *   through a one-time ticket from the main origin (`GET /api/apps/open`).
 */
export async function appRoutes(app: FastifyInstance, deps: AppRouteDeps): Promise<void> {
  const { instances, runtime, activity, cookieName, appsDomain } = deps;
  const mode: AppMode = appsDomain ? 'host' : 'path';
  // Every cookie name labhub uses: none reaches an app, none may come from one.
  const labhubCookies = [cookieName, appCookie, 'labhub_sso'];
  // Bodies go to the app untouched: no parsing, no size limit of labhub's own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  /**
   * Checks that `user` may use the app and that the lab declares it; 404 for who may not see the
   * instance. On labhub's own origin only the owner may: whoever else opened it would run the
   * owner's content in their browser, next to their own labhub session.
   */
  const authorize = async (user: UserRow, id: string, machine: string, port: number): Promise<InstanceAccess> => {
    const { row, access } = await instances.authorize(id, user, mode === 'path' ? 'watch' : 'use');
    const lab = labOf(row);
    const declared = lab.machines.find((m) => m.name === machine)?.access.some((access) => typeof access === 'object' && access.http === port);
    if (!declared) throw new LabhubError('LABHUB_NOT_FOUND', `Machine "${machine}" offers no app on port ${port}.`);
    if (mode === 'path' && access !== 'owner') {
      throw new LabhubError(
        'LABHUB_FORBIDDEN',
        "Only the instance's owner may open its apps on this labhub. Opening other people's apps needs an apps domain: ask the administrator to set LABHUB_APPS_DOMAIN.",
      );
    }
    return access;
  };

  /** The user behind an app session, while the labhub session it was opened from lasts; undefined otherwise. */
  const holderOf = async (
    token: string | undefined,
    app: { id: string; machine: string; port: number },
  ): Promise<{ grant: AppGrant; user: UserRow } | undefined> => {
    if (token === undefined) return undefined;
    const grant = deps.appSessions.resolve(token);
    if (!grant || grant.instanceId !== app.id || grant.machine !== app.machine || grant.port !== app.port) return undefined;
    const user = await deps.sessions.resolve(grant.sessionToken);
    if (user?.id === grant.userId) return { grant, user };
    deps.appSessions.forget(token);
    return undefined;
  };

  /** Audits an app being opened (its entry page, its WebSockets): who, from where. */
  const opened = (
    request: FastifyRequest,
    target: Pick<AppTarget, 'id' | 'machine' | 'port' | 'path'> & { user: UserRow },
    what: 'app.open' | 'app.websocket',
  ) =>
    deps.audit.record({
      actor: target.user.username,
      action: what,
      target: `${target.id}/${target.machine}:${target.port}`,
      ip: request.ip,
      detail: { path: target.path.slice(0, 200) },
    });

  const connect = async ({ id, machine, port }: AppTarget) => {
    try {
      return await runtime.openPort({ instanceId: id, machine }, port);
    } catch (error) {
      if (error instanceof RuntimeError) throw new LabhubError('LABHUB_UNAVAILABLE', `The app on ${machine}:${port} does not answer: ${error.message}`);
      throw error;
    }
  };

  /** The request's headers as the app should see them: no hop-by-hop headers, no labhub cookies. */
  const forwardedHeaders = (request: FastifyRequest, target: AppTarget): http.OutgoingHttpHeaders => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers))
      if (!hopByHop.has(name) && !name.startsWith('sec-websocket-') && value !== undefined) headers[name] = value;
    const cookie = withoutLabhubCookies(request.headers.cookie, labhubCookies);
    if (cookie) headers.cookie = cookie;
    else delete headers.cookie;
    headers.host = `${target.machine}:${target.port}`;
    if (target.prefix) headers['x-forwarded-prefix'] = target.prefix;
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-forwarded-proto'] = request.protocol;
    return headers;
  };

  const proxyHttp = async (request: FastifyRequest, reply: FastifyReply, target: AppTarget) => {
    const backend = await connect(target);
    activity.input(target.id);
    reply.hijack();
    const upstream = http.request({ method: request.method, path: target.path, headers: forwardedHeaders(request, target), createConnection: () => backend });
    upstream.on('response', (response) => {
      reply.raw.writeHead(response.statusCode ?? 502, appResponseHeaders(response.headers, mode, labhubCookies));
      response.pipe(reply.raw);
    });
    upstream.on('error', () => {
      if (reply.raw.headersSent) return void reply.raw.destroy();
      reply.raw.writeHead(502, {
        'content-type': 'application/json',
        'x-content-type-options': 'nosniff',
        ...(mode === 'path' && { 'content-security-policy': appSandbox }),
      });
      reply.raw.end(JSON.stringify({ error: { code: 'LABHUB_UNAVAILABLE', message: `The app on ${target.machine}:${target.port} closed the connection.` } }));
    });
    reply.raw.on('close', () => backend.destroy());
    request.raw.pipe(upstream);
  };

  /** An app's own WebSocket, relayed message by message (the upgrade itself is labhub's). */
  const proxyWebSocket = async (browser: WebSocket, request: FastifyRequest, target: AppTarget) => {
    browser.pause();
    deps.connections.track({
      ws: browser,
      sessionToken: target.caller.sessionToken,
      userId: target.caller.user.id,
      instanceId: target.id,
      access: target.caller.access,
    });
    await opened(request, { ...target, user: target.caller.user }, 'app.websocket');
    const backend = await connect(target);
    const upstream = new WebSocket(`ws://${target.machine}:${target.port}${target.path}`, {
      createConnection: () => backend,
      headers: forwardedHeaders(request, target) as Record<string, string>,
    });
    upstream.once('open', () => {
      relayMessages(browser, upstream);
      browser.resume();
    });
    upstream.once('unexpected-response', () => browser.close(1011, 'the app refused the WebSocket'));
    upstream.once('error', () => browser.readyState === browser.OPEN && browser.close(1011, 'the app closed the connection'));
    browser.once('close', () => upstream.terminate());
    activity.input(target.id);
  };

  const closeWith = (browser: WebSocket, error: unknown) =>
    browser.close(
      error instanceof LabhubError && error.status === 404 ? closeCodes.notFound : closeCodes.error,
      error instanceof LabhubError ? error.message.slice(0, 120) : 'error',
    );

  const proxy: AppProxy = { authorize, holderOf, opened, proxyHttp, proxyWebSocket, closeWith };
  if (appsDomain) subdomainRoutes(app, deps, appsDomain, proxy);
  else pathRoutes(app, deps, proxy);
}

/** The same-origin link that opens an app: path mode's URL, or the ticket endpoint that leads to the app's own host. */
export function appEntryUrl(appsDomain: string | undefined): (instanceId: string, machine: string, port: number) => string {
  return (instanceId, machine, port) =>
    appsDomain
      ? `/api/apps/open?instance=${encodeURIComponent(instanceId)}&machine=${encodeURIComponent(machine)}&port=${port}`
      : `/apps/${encodeURIComponent(instanceId)}/${encodeURIComponent(machine)}/${port}/`;
}

interface AppProxy {
  authorize: (user: UserRow, id: string, machine: string, port: number) => Promise<InstanceAccess>;
  holderOf: (token: string | undefined, app: { id: string; machine: string; port: number }) => Promise<{ grant: AppGrant; user: UserRow } | undefined>;
  opened: (
    request: FastifyRequest,
    target: Pick<AppTarget, 'id' | 'machine' | 'port' | 'path'> & { user: UserRow },
    what: 'app.open' | 'app.websocket',
  ) => Promise<void>;
  proxyHttp: (request: FastifyRequest, reply: FastifyReply, target: AppTarget) => Promise<void>;
  proxyWebSocket: (browser: WebSocket, request: FastifyRequest, target: AppTarget) => Promise<void>;
  closeWith: (browser: WebSocket, error: unknown) => void;
}

/**
 * Where a path-mode request goes: the app session in its path (`~<token>`, when there is one) and
 * the path and query the app sees, taken from the raw URL (`/apps/:id/:machine/:port/<rest>`) so
 * that the app gets them exactly as the browser sent them.
 */
function splitAppPath(url: string): { session: string | undefined; path: string; slashless: boolean } {
  const rest = url.split('/').slice(5).join('/');
  const withSession = /^~([A-Za-z0-9_-]{43})(\/[^?]*)?(\?.*)?$/s.exec(rest);
  if (!withSession) return { session: undefined, path: `/${rest}`, slashless: false };
  return { session: withSession[1], path: `${withSession[2] ?? '/'}${withSession[3] ?? ''}`, slashless: withSession[2] === undefined };
}

/**
 * Path mode: `/apps/:id/:machine/:port/…` on labhub's origin, sandboxed (app-headers.ts). The
 * sandboxed pages send no cookie, so the app's own requests carry an app session in their path:
 * the owner's first request (their labhub cookie, a top-level navigation) is sent on to
 * `/apps/:id/:machine/:port/~<session>/…`, and every relative link of the app stays under it. The
 * session lasts as long as the owner's labhub session. Without one, requests other than GET are
 * refused, and a WebSocket needs labhub's cookie and Origin as labhub's own do.
 */
function pathRoutes(app: FastifyInstance, deps: AppRouteDeps, proxy: AppProxy): void {
  const { authorize, holderOf, opened, proxyHttp, proxyWebSocket, closeWith } = proxy;

  const target = async (request: FastifyRequest<{ Params: PathParams }>): Promise<AppTarget | { enter: string }> => {
    const { id, machine, port: portText } = request.params;
    const port = Number(portText);
    const prefix = `/apps/${id}/${machine}/${port}`;
    const { session, path, slashless } = splitAppPath(request.url);
    const holder = session === undefined ? undefined : await holderOf(session, { id, machine, port });
    // An ended app session on a page the owner reloads (a navigation, with labhub's cookie): a new one is made below.
    const renewable = request.method === 'GET' && !request.ws && request.user !== null;
    if (session !== undefined && !holder && !renewable)
      throw new LabhubError('LABHUB_UNAUTHENTICATED', "This app's session has ended; open the app again from labhub.");
    if (session !== undefined && holder) {
      const access = await authorize(holder.user, id, machine, port);
      if (slashless) return { enter: `${prefix}/~${session}${path}` };
      return { id, machine, port, path, prefix: `${prefix}/~${session}`, caller: { user: holder.user, access, sessionToken: holder.grant.sessionToken } };
    }
    if (!request.user || !request.sessionToken) throw new LabhubError('LABHUB_UNAUTHENTICATED');
    const access = await authorize(request.user, id, machine, port);
    const caller = { user: request.user, access, sessionToken: request.sessionToken };
    if (request.ws) return { id, machine, port, path, prefix, caller };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw new LabhubError('LABHUB_VALIDATION', "Requests to an app go through the app's own page: open the app from labhub first.");
    await opened(request, { id, machine, port, path, user: request.user }, 'app.open');
    const token = deps.appSessions.open({ userId: request.user.id, instanceId: id, machine, port, sessionToken: request.sessionToken });
    return { enter: `${prefix}/~${token}${path}` };
  };

  const url = '/apps/:id/:machine/:port/*';
  // `public` to the access hook: an app session in the path is the authority of the app's own
  // requests, which carry no cookie and come from Origin `null` (the sandbox); `target` checks
  // either that or labhub's cookie, and the owner.
  const config = { access: 'public', origin: 'app-session' } as const;
  const preValidation = async (request: FastifyRequest) => {
    // A service worker at labhub's origin would answer for labhub itself from then on.
    if (request.headers['service-worker'] !== undefined)
      throw new LabhubError('LABHUB_FORBIDDEN', "An app cannot install a service worker on labhub's origin.");
    // The app's own sockets come from its sandboxed pages (Origin `null`); any other comes with labhub's cookie, from labhub's origin.
    if (!request.ws) return;
    if (splitAppPath(request.url).session === undefined) assertUpgradeOrigin(request, deps.publicUrl);
    else if (request.headers.origin !== 'null') throw new LabhubError('LABHUB_FOREIGN_ORIGIN');
  };
  const handler = async (request: FastifyRequest<{ Params: PathParams }>, reply: FastifyReply) => {
    const found = await target(request);
    if ('enter' in found) return reply.redirect(found.enter);
    // A preflight of the sandboxed page's own requests: answered here, apps know nothing of their opaque origin.
    const preflight = request.headers['access-control-request-method'];
    if (request.method === 'OPTIONS' && preflight !== undefined) {
      return reply
        .code(204)
        .headers({
          'access-control-allow-origin': 'null',
          'access-control-allow-methods': preflight,
          ...(request.headers['access-control-request-headers'] && { 'access-control-allow-headers': request.headers['access-control-request-headers'] }),
          'access-control-max-age': '600',
        })
        .send();
    }
    return proxyHttp(request, reply, found);
  };
  app.route<{ Params: PathParams }>({
    method: 'GET',
    url,
    config,
    preValidation,
    handler,
    wsHandler: async (browser, request) => {
      try {
        const found = await target(request);
        if ('enter' in found) return browser.close(closeCodes.notFound, 'no such app socket');
        await proxyWebSocket(browser, request, found);
      } catch (error) {
        closeWith(browser, error);
      }
    },
  });
  app.route<{ Params: PathParams }>({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url, config, preValidation, handler });
  // Relative links in the app resolve against the trailing slash.
  // Only for those who may use the app: nobody else learns that it exists.
  app.get<{ Params: Omit<PathParams, '*'> }>('/apps/:id/:machine/:port', { config }, async (request, reply) => {
    const { id, machine, port } = request.params;
    if (!request.user) throw new LabhubError('LABHUB_UNAUTHENTICATED');
    await authorize(request.user, id, machine, Number(port));
    return reply.redirect(`/apps/${encodeURIComponent(id)}/${encodeURIComponent(machine)}/${encodeURIComponent(port)}/`);
  });
}

/** Each app on its own host `<port>-<machine>-<id>.<domain>`, entered with a one-time ticket from the main origin. */
function subdomainRoutes(app: FastifyInstance, deps: AppRouteDeps, domain: string, proxy: AppProxy): void {
  const { appSessions, publicUrl } = deps;
  const { authorize, holderOf, opened, proxyHttp, proxyWebSocket, closeWith } = proxy;
  const hostPattern = appHostPattern(domain);
  const publicScheme = new URL(publicUrl).protocol;
  const hostOf = (id: string, machine: string, port: number) =>
    `${port}-${machine}-${id}.${domain}${new URL(publicUrl).port ? `:${new URL(publicUrl).port}` : ''}`;

  app.get<{ Querystring: { instance: string; machine: string; port: number; path?: string } }>(
    '/api/apps/open',
    {
      config: { access: 'user' },
      schema: {
        tags: ['apps'],
        summary: 'Opens an app on its own host: a redirect there with a one-time ticket',
        querystring: {
          type: 'object',
          required: ['instance', 'machine', 'port'],
          properties: {
            instance: { type: 'string', maxLength: 64 },
            machine: { type: 'string', maxLength: 63 },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            path: { type: 'string', pattern: '^/', maxLength: 2000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      if (!request.user || !request.sessionToken) throw new LabhubError('LABHUB_UNAUTHENTICATED');
      const { instance, machine, port } = request.query;
      const path = request.query.path === undefined ? '/' : sameSitePath(request.query.path);
      if (path === undefined)
        throw validationError([{ path: 'querystring.path', message: 'must be a path of the app: no //, no backslash, no control character or space' }]);
      await authorize(request.user, instance, machine, port);
      await opened(request, { id: instance, machine, port, path, user: request.user }, 'app.open');
      const ticket = appSessions.issueTicket({ userId: request.user.id, instanceId: instance, machine, port, sessionToken: request.sessionToken });
      return reply.redirect(`${publicScheme}//${hostOf(instance, machine, port)}${ticketPath}?ticket=${ticket}&next=${encodeURIComponent(path)}`);
    },
  );

  /** The app a request to an app host addresses, once its app session allows it. */
  const fromHost = async (request: FastifyRequest): Promise<AppTarget | { login: string }> => {
    const match = hostPattern.exec(request.headers.host ?? '');
    if (!match) throw new LabhubError('LABHUB_NOT_FOUND');
    const [, portText, machine = '', id = ''] = match;
    const port = Number(portText);
    const holder = await holderOf(request.cookies[appCookie], { id, machine, port });
    // The path as the browser sent it, before the app-host rewrite.
    const path = request.originalUrl;
    if (!holder)
      return { login: `${publicUrl}/api/apps/open?instance=${id}&machine=${machine}&port=${port}&path=${encodeURIComponent(sameSitePath(path) ?? '/')}` };
    const access = await authorize(holder.user, id, machine, port);
    return { id, machine, port, path, prefix: '', caller: { user: holder.user, access, sessionToken: holder.grant.sessionToken } };
  };

  const onAppHost = { host: hostPattern };
  app.route({
    method: 'GET',
    url: `${appHostPrefix}${ticketPath}`,
    constraints: onAppHost,
    config: { access: 'public' },
    handler: async (request, reply) => {
      const { ticket = '', next } = request.query as { ticket?: string; next?: string };
      const redeemed = appSessions.redeemTicket(ticket);
      if (!redeemed) throw new LabhubError('LABHUB_UNAUTHENTICATED', 'This app link has expired; open the app again from labhub.');
      reply.setCookie(appCookie, redeemed.token, { path: '/', httpOnly: true, sameSite: 'lax', secure: publicScheme === 'https:' });
      return reply.redirect(sameSitePath(next) ?? '/');
    },
  });
  app.route({
    method: 'GET',
    url: `${appHostPrefix}/*`,
    constraints: onAppHost,
    config: { access: 'public' },
    preValidation: async (request) => {
      // An app's WebSocket may only be opened by the app's own pages.
      if (request.ws && request.headers.origin !== `${publicScheme}//${request.headers.host}`) throw new LabhubError('LABHUB_FOREIGN_ORIGIN');
    },
    handler: async (request, reply) => {
      const target = await fromHost(request);
      if ('login' in target) return reply.redirect(target.login);
      return proxyHttp(request, reply, target);
    },
    wsHandler: async (browser, request) => {
      try {
        const target = await fromHost(request);
        if ('login' in target) return browser.close(closeCodes.signedOut, 'open the app from labhub first');
        await proxyWebSocket(browser, request, target);
      } catch (error) {
        closeWith(browser, error);
      }
    },
  });
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: `${appHostPrefix}/*`,
    constraints: onAppHost,
    config: { access: 'public', origin: 'own-host' },
    handler: async (request, reply) => {
      const target = await fromHost(request);
      if ('login' in target) throw new LabhubError('LABHUB_UNAUTHENTICATED', 'Open the app from labhub first.');
      return proxyHttp(request, reply, target);
    },
  });
}
