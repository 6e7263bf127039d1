import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionService } from '../auth/session-service.js';
import { LabhubError } from '../errors.js';
import type { UserRow } from '../store/users.js';

/** Who may call a route. Every `/api/` route must say; `buildApp` refuses to start otherwise. */
export type Access = 'public' | 'user' | 'author' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /**
     * Whose origin state-changing requests must come from: labhub's (default) or the request's own
     * host (apps on their own subdomain); `app-session`: path-mode apps, whose own requests come from
     * a sandbox (Origin `null`), carry no cookie and are authorized by an app session in their path.
     */
    origin?: 'public-url' | 'own-host' | 'app-session';
    /** A machine's credential taken in place of a session: true when `Authorization: Bearer <token>` carries the right token (Prometheus on /metrics). */
    bearer?: (token: string) => boolean;
  }
  interface FastifyInstance {
    /** Every route with the access it declares, as registered: tests derive the authorization matrix from it. */
    routeTable: RouteEntry[];
  }
  interface FastifyRequest {
    /** The logged-in user, resolved from the session cookie before the handler runs; null when anonymous. */
    user: UserRow | null;
    /** The session cookie's value, when one was sent. */
    sessionToken: string | null;
  }
}

const rank: Record<UserRow['role'], number> = { user: 1, author: 2, admin: 3 };
const required: Record<Exclude<Access, 'public'>, number> = { user: 1, author: 2, admin: 3 };

/** One registered route: method, path pattern, declared access and whether it upgrades to a WebSocket. */
export interface RouteEntry {
  method: string;
  url: string;
  access: Access | undefined;
  websocket: boolean;
  /** The JSON schema of the body, when the route declares one. */
  body: unknown;
  /** Served only on other hosts than labhub's own (apps on their own subdomain). */
  hostConstrained: boolean;
}

export function installAccessControl(app: FastifyInstance, sessions: SessionService, cookieName: string): void {
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (url.startsWith('/api/') && !route.config?.access) {
      throw new Error(`route ${String(route.method)} ${url} does not declare config.access`);
    }
    const websocket = (route as { websocket?: boolean }).websocket === true;
    for (const method of [route.method].flat()) if (method !== 'HEAD') table.push({ method, url, access: route.config?.access, websocket, body: route.schema?.body, hostConstrained: route.constraints?.host !== undefined });
  });

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[cookieName];
    if (token) {
      request.sessionToken = token;
      request.user = (await sessions.resolve(token)) ?? null;
    }
    const { access, bearer } = request.routeOptions.config;
    if (access && access !== 'public' && !(bearer && bearerAdmits(request, bearer))) assertAllowed(request, access);
  });
}

function bearerAdmits(request: FastifyRequest, bearer: (token: string) => boolean): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  return match !== null && bearer(match[1] as string);
}

function assertAllowed(request: FastifyRequest, access: Exclude<Access, 'public'>): void {
  if (!request.user) throw new LabhubError('LABHUB_UNAUTHENTICATED');
  if (rank[request.user.role] < required[access]) throw new LabhubError('LABHUB_FORBIDDEN', `This needs the ${access} role.`);
}

/** The logged-in user of a route that declared `access` other than public. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw new LabhubError('LABHUB_UNAUTHENTICATED');
  return request.user;
}
