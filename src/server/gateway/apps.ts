import http from 'node:http';
import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { LabhubError } from '../errors.js';
import { currentUser } from '../http/access.js';
import { assertUpgradeOrigin } from '../http/origin.js';
import type { InstanceService } from '../instances/instance-service.js';
import { RuntimeError, type Runtime } from '../runtime/runtime.js';
import type { UserRepository, UserRow } from '../store/users.js';
import type { ActivityTracker } from './activity.js';
import type { AppSessions } from './app-sessions.js';
import type { InstanceAccess } from '../../common/instances.js';
import type { AuditRepository } from '../store/audit.js';
import type { GatewayConnections } from './connections.js';
import { closeCodes, relayMessages } from './relay.js';
import { labOf } from '../instances/snapshot.js';

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

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
  /** What path mode removed (`/apps/:id/:machine/:port`); empty on an app's own host. */
  prefix: string;
  /** Who asks, with which access, and the labhub session they came with (none on an app's own host). */
  caller: { user: UserRow; access: InstanceAccess; sessionToken: string | null };
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
  users: UserRepository;
  appSessions: AppSessions;
  cookieName: string;
  publicUrl: string;
  appsDomain: string | undefined;
  audit: AuditRepository;
  /** An app's open WebSockets close when their user loses the right to use the instance. */
  connections: GatewayConnections;
}

/**
 * HTTP apps inside machines (docs/architecture.md §8), forwarded to a port the lab declares through the
 * runtime (never to an engine address); labhub's session cookie never reaches an app.
 * - path mode: `/apps/:id/:machine/:port/…` on labhub's origin, for single-user setups
 *   (docs/decisions/0006-apps-path-mode.md);
 * - with `LABHUB_APPS_DOMAIN`: `<port>-<machine>-<id>.<apps domain>`, one origin per app, entered
 *   through a one-time ticket from the main origin (`GET /api/apps/open`).
 */
export async function appRoutes(app: FastifyInstance, deps: AppRouteDeps): Promise<void> {
  const { instances, runtime, activity, cookieName, publicUrl, appsDomain } = deps;
  // Bodies go to the app untouched: no parsing, no size limit of labhub's own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  /** Checks that `user` may use the app (watchers may not: an app takes input) and that the lab declares it; 404 otherwise. */
  const authorize = async (user: UserRow, id: string, machine: string, port: number): Promise<InstanceAccess> => {
    const { row, access } = await instances.authorize(id, user, 'use');
    const lab = labOf(row);
    const declared = lab.machines.find((m) => m.name === machine)?.access.some((access) => typeof access === 'object' && access.http === port);
    if (!declared) throw new LabhubError('LABHUB_NOT_FOUND', `Machine "${machine}" offers no app on port ${port}.`);
    return access;
  };

  /** Audits an app being opened (its entry page, its WebSockets): who, from where. */
  const opened = (request: FastifyRequest, target: AppTarget, what: 'app.open' | 'app.websocket') =>
    deps.audit.record({ actor: target.caller.user.username, action: what, target: `${target.id}/${target.machine}:${target.port}`, ip: request.ip, detail: { path: target.path.slice(0, 200) } });

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
    for (const [name, value] of Object.entries(request.headers)) if (!hopByHop.has(name) && !name.startsWith('sec-websocket-') && value !== undefined) headers[name] = value;
    const cookie = withoutCookies(request.headers.cookie, [cookieName, appCookie]);
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
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(response.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
      // An app must not overwrite labhub's own cookies.
      if (out['set-cookie']) out['set-cookie'] = (out['set-cookie'] as string[]).filter((c) => ![cookieName, appCookie].some((name) => c.trimStart().startsWith(`${name}=`)));
      reply.raw.writeHead(response.statusCode ?? 502, out);
      response.pipe(reply.raw);
    });
    upstream.on('error', () => {
      if (reply.raw.headersSent) return void reply.raw.destroy();
      reply.raw.writeHead(502, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ error: { code: 'LABHUB_UNAVAILABLE', message: `The app on ${target.machine}:${target.port} closed the connection.` } }));
    });
    reply.raw.on('close', () => backend.destroy());
    request.raw.pipe(upstream);
  };

  /** An app's own WebSocket, relayed message by message (the upgrade itself is labhub's). */
  const proxyWebSocket = async (browser: WebSocket, request: FastifyRequest, target: AppTarget) => {
    browser.pause();
    deps.connections.track({ ws: browser, sessionToken: target.caller.sessionToken, userId: target.caller.user.id, instanceId: target.id, access: target.caller.access });
    await opened(request, target, 'app.websocket');
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
    browser.close(error instanceof LabhubError && error.status === 404 ? closeCodes.notFound : closeCodes.error, error instanceof LabhubError ? error.message.slice(0, 120) : 'error');

  const proxy = { authorize, proxyHttp, proxyWebSocket, closeWith };
  if (appsDomain) return subdomainRoutes(app, deps, appsDomain, proxy);

  // Path mode: only without an apps domain, whose point is to keep apps off labhub's origin.
  const fromPath = async (request: FastifyRequest<{ Params: PathParams }>): Promise<AppTarget> => {
    const { id, machine, port: portText } = request.params;
    const port = Number(portText);
    const user = currentUser(request);
    const access = await authorize(user, id, machine, port);
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return { id, machine, port, path: `/${request.params['*']}${search}`, prefix: `/apps/${id}/${machine}/${port}`, caller: { user, access, sessionToken: request.sessionToken } };
  };
  const url = '/apps/:id/:machine/:port/*';
  app.route<{ Params: PathParams }>({
    method: 'GET',
    url,
    config: { access: 'user' },
    preValidation: async (request) => {
      if (request.ws) assertUpgradeOrigin(request, publicUrl);
    },
    handler: async (request, reply) => {
      const target = await fromPath(request);
      // The entry link points at the app's root: that is when it is opened.
      if (request.params['*'] === '') await opened(request, target, 'app.open');
      return proxyHttp(request, reply, target);
    },
    wsHandler: async (browser, request) => {
      try {
        await proxyWebSocket(browser, request, await fromPath(request));
      } catch (error) {
        closeWith(browser, error);
      }
    },
  });
  app.route<{ Params: PathParams }>({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url,
    config: { access: 'user' },
    handler: async (request, reply) => proxyHttp(request, reply, await fromPath(request)),
  });
  // Relative links in the app resolve against the trailing slash.
  // Only for those who may use the app: nobody else learns that it exists.
  app.get<{ Params: Omit<PathParams, '*'> }>('/apps/:id/:machine/:port', { config: { access: 'user' } }, async (request, reply) => {
    const { id, machine, port } = request.params;
    await authorize(currentUser(request), id, machine, Number(port));
    return reply.redirect(`/apps/${encodeURIComponent(id)}/${encodeURIComponent(machine)}/${encodeURIComponent(port)}/`);
  });

}

/** The same-origin link that opens an app: path mode's URL, or the ticket endpoint that leads to the app's own host. */
export function appEntryUrl(appsDomain: string | undefined): (instanceId: string, machine: string, port: number) => string {
  return (instanceId, machine, port) =>
    appsDomain
      ? `/api/apps/open?instance=${encodeURIComponent(instanceId)}&machine=${encodeURIComponent(machine)}&port=${port}`
      : `/apps/${encodeURIComponent(instanceId)}/${encodeURIComponent(machine)}/${port}/`;
}

/** The Cookie header without the named cookies. */
export function withoutCookies(header: string | undefined, names: string[]): string {
  if (!header) return '';
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !names.some((name) => part.startsWith(`${name}=`)))
    .join('; ');
}

interface AppProxy {
  authorize(user: UserRow, id: string, machine: string, port: number): Promise<InstanceAccess>;
  proxyHttp(request: FastifyRequest, reply: FastifyReply, target: AppTarget): Promise<void>;
  proxyWebSocket(browser: WebSocket, request: FastifyRequest, target: AppTarget): Promise<void>;
  closeWith(browser: WebSocket, error: unknown): void;
}

/** Each app on its own host `<port>-<machine>-<id>.<domain>`, entered with a one-time ticket from the main origin. */
function subdomainRoutes(app: FastifyInstance, deps: AppRouteDeps, domain: string, proxy: AppProxy): void {
  const { users, appSessions, publicUrl } = deps;
  const { authorize, proxyHttp, proxyWebSocket, closeWith } = proxy;
  const hostPattern = appHostPattern(domain);
  const publicScheme = new URL(publicUrl).protocol;
  const hostOf = (id: string, machine: string, port: number) => `${port}-${machine}-${id}.${domain}${new URL(publicUrl).port ? `:${new URL(publicUrl).port}` : ''}`;

  app.get<{ Querystring: { instance: string; machine: string; port: number; path?: string } }>(
    '/api/apps/open',
    {
      config: { access: 'user' },
      schema: {
        tags: ['apps'],
        summary: "Opens an app on its own host: a redirect there with a one-time ticket",
        querystring: {
          type: 'object',
          required: ['instance', 'machine', 'port'],
          properties: { instance: { type: 'string', maxLength: 64 }, machine: { type: 'string', maxLength: 63 }, port: { type: 'integer', minimum: 1, maximum: 65535 }, path: { type: 'string', pattern: '^/', maxLength: 2000 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { instance, machine, port, path = '/' } = request.query;
      await authorize(user, instance, machine, port);
      await deps.audit.record({ actor: user.username, action: 'app.open', target: `${instance}/${machine}:${port}`, ip: request.ip, detail: { path: path.slice(0, 200) } });
      const ticket = appSessions.issueTicket({ userId: user.id, instanceId: instance, machine, port });
      const next = encodeURIComponent(path);
      return reply.redirect(`${publicScheme}//${hostOf(instance, machine, port)}${ticketPath}?ticket=${ticket}&next=${next}`);
    },
  );

  /** The app a request to an app host addresses, once its app session allows it. */
  const fromHost = async (request: FastifyRequest): Promise<AppTarget | { login: string }> => {
    const match = hostPattern.exec(request.headers.host ?? '');
    if (!match) throw new LabhubError('LABHUB_NOT_FOUND');
    const [, portText, machine = '', id = ''] = match;
    const port = Number(portText);
    const grant = appSessions.resolve(request.cookies[appCookie]);
    const user = grant && grant.instanceId === id && grant.machine === machine && grant.port === port ? await users.findById(grant.userId) : undefined;
    // The path as the browser sent it, before the app-host rewrite.
    const path = request.originalUrl;
    if (!user || user.disabled === 1) return { login: `${publicUrl}/api/apps/open?instance=${id}&machine=${machine}&port=${port}&path=${encodeURIComponent(path)}` };
    const access = await authorize(user, id, machine, port);
    return { id, machine, port, path, prefix: '', caller: { user, access, sessionToken: null } };
  };

  const onAppHost = { host: hostPattern };
  app.route({
    method: 'GET',
    url: `${appHostPrefix}${ticketPath}`,
    constraints: onAppHost,
    config: { access: 'public' },
    handler: async (request, reply) => {
      const { ticket = '', next = '/' } = request.query as { ticket?: string; next?: string };
      const redeemed = appSessions.redeemTicket(ticket);
      if (!redeemed) throw new LabhubError('LABHUB_UNAUTHENTICATED', 'This app link has expired; open the app again from labhub.');
      reply.setCookie(appCookie, redeemed.token, { path: '/', httpOnly: true, sameSite: 'lax', secure: publicScheme === 'https:' });
      return reply.redirect(next.startsWith('/') && !next.startsWith('//') ? next : '/');
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
        if ('login' in target) return browser.close(4401, 'open the app from labhub first');
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
