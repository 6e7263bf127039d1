import http from 'node:http';
import type {} from '@fastify/websocket';
import { WebSocket } from 'ws';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { LabhubError } from '../errors.js';
import { currentUser } from '../http/access.js';
import { assertUpgradeOrigin } from '../http/origin.js';
import type { InstanceService } from '../instances/instance-service.js';
import { RuntimeError, type Runtime } from '../runtime/runtime.js';
import type { ActivityTracker } from './activity.js';
import { relayMessages } from './relay.js';

interface AppParams {
  id: string;
  machine: string;
  port: string;
  '*': string;
}

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/**
 * HTTP apps inside machines, path mode: `/apps/:id/:machine/:port/…` is forwarded to that port
 * of the machine, through the runtime (never to an engine address), with the prefix removed and
 * given in `X-Forwarded-Prefix`. Only ports the lab declares are reachable, and labhub's own
 * session cookie never reaches the app. Path mode shares labhub's origin, so it is meant for
 * single-user setups (docs/decisions/apps-path-mode.md).
 */
export async function appRoutes(app: FastifyInstance, deps: { instances: InstanceService; runtime: Runtime; activity: ActivityTracker; cookieName: string; publicUrl: string }): Promise<void> {
  const { instances, runtime, activity, cookieName, publicUrl } = deps;
  // Bodies go to the app untouched: no parsing, no size limit of labhub's own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  /** The app a request names, once the caller may use it; 404 for anything the lab does not declare. */
  const resolve = async (request: FastifyRequest<{ Params: AppParams }>) => {
    const { id, machine, port: portText } = request.params;
    const port = Number(portText);
    const row = await instances.get(id, currentUser(request));
    const lab = JSON.parse(row.lab_snapshot) as NormalizedLab;
    const declared = lab.machines.find((m) => m.name === machine)?.access.some((access) => typeof access === 'object' && access.http === port);
    if (!declared) throw new LabhubError('LABHUB_NOT_FOUND', `Machine "${machine}" offers no app on port ${portText}.`);
    return { id, machine, port };
  };

  const connect = async ({ id, machine, port }: { id: string; machine: string; port: number }) => {
    try {
      return await runtime.openPort({ instanceId: id, machine }, port);
    } catch (error) {
      if (error instanceof RuntimeError) throw new LabhubError('LABHUB_UNAVAILABLE', `The app on ${machine}:${port} does not answer: ${error.message}`);
      throw error;
    }
  };

  /** The request's headers as the app should see them: no hop-by-hop headers, no labhub session cookie. */
  const forwardedHeaders = (request: FastifyRequest, machine: string, port: number, prefix: string): http.OutgoingHttpHeaders => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (!hopByHop.has(name) && !name.startsWith('sec-websocket-') && value !== undefined) headers[name] = value;
    const cookie = withoutCookie(request.headers.cookie, cookieName);
    if (cookie) headers.cookie = cookie;
    else delete headers.cookie;
    headers.host = `${machine}:${port}`;
    headers['x-forwarded-prefix'] = prefix;
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-forwarded-proto'] = request.protocol;
    return headers;
  };

  const handler = async (request: FastifyRequest<{ Params: AppParams }>, reply: FastifyReply) => {
    const target = await resolve(request);
    const { id, machine, port } = target;
    const backend = await connect(target);
    activity.input(id);
    const prefix = `/apps/${id}/${machine}/${port}`;
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const headers = forwardedHeaders(request, machine, port, prefix);

    reply.hijack();
    const upstream = http.request({ method: request.method, path: `/${request.params['*']}${search}`, headers, createConnection: () => backend });
    upstream.on('response', (response) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(response.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
      // An app must not overwrite labhub's session cookie on this shared origin.
      if (out['set-cookie']) out['set-cookie'] = (out['set-cookie'] as string[]).filter((c) => !c.trimStart().startsWith(`${cookieName}=`));
      reply.raw.writeHead(response.statusCode ?? 502, out);
      response.pipe(reply.raw);
    });
    upstream.on('error', () => {
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(502, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 'LABHUB_UNAVAILABLE', message: `The app on ${machine}:${port} closed the connection.` } }));
      } else reply.raw.destroy();
    });
    reply.raw.on('close', () => backend.destroy());
    request.raw.pipe(upstream);
  };

  /** An app's own WebSocket, relayed message by message (the upgrade itself is labhub's). */
  const wsHandler = async (browser: WebSocket, request: FastifyRequest<{ Params: AppParams }>) => {
    browser.pause();
    try {
      const target = await resolve(request);
      const backend = await connect(target);
      const prefix = `/apps/${target.id}/${target.machine}/${target.port}`;
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const upstream = new WebSocket(`ws://${target.machine}:${target.port}/${request.params['*']}${search}`, {
        createConnection: () => backend,
        headers: forwardedHeaders(request, target.machine, target.port, prefix) as Record<string, string>,
      });
      upstream.once('open', () => {
        relayMessages(browser, upstream);
        browser.resume();
      });
      upstream.once('unexpected-response', () => browser.close(1011, 'the app refused the WebSocket'));
      upstream.once('error', () => browser.readyState === browser.OPEN && browser.close(1011, 'the app closed the connection'));
      browser.once('close', () => upstream.terminate());
      activity.input(target.id);
    } catch (error) {
      browser.close(error instanceof LabhubError && error.status === 404 ? 4404 : 1011, error instanceof LabhubError ? error.message.slice(0, 120) : 'error');
    }
  };

  const url = '/apps/:id/:machine/:port/*';
  app.route({ method: 'GET', url, config: { access: 'user' }, preValidation: sameOriginUpgrade(publicUrl), handler, wsHandler });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url, config: { access: 'user' }, handler });
  // Relative links in the app resolve against the trailing slash.
  app.get<{ Params: Omit<AppParams, '*'> }>('/apps/:id/:machine/:port', { config: { access: 'user' } }, async (request, reply) =>
    reply.redirect(`/apps/${encodeURIComponent(request.params.id)}/${encodeURIComponent(request.params.machine)}/${encodeURIComponent(request.params.port)}/`),
  );
}

/** The Cookie header without the named cookie. */
export function withoutCookie(header: string | undefined, name: string): string {
  if (!header) return '';
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith(`${name}=`))
    .join('; ');
}

/** WebSocket upgrades must come from labhub's own origin; plain requests pass (state-changing ones are checked globally). */
function sameOriginUpgrade(publicUrl: string) {
  return async (request: FastifyRequest) => {
    if (request.ws) assertUpgradeOrigin(request, publicUrl);
  };
}
