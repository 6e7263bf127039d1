import type http from 'node:http';
import { appHostSetCookies } from './app-cookies.js';

/** Where an app is served: on labhub's own origin under `/apps/…` (path mode), or on a host of its own (`LABHUB_APPS_DOMAIN`). */
export type AppMode = 'path' | 'host';

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
export const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * Path mode's sandbox: the app's pages run in an opaque origin, never labhub's. No
 * `allow-same-origin`, ever: with it the page would be labhub's origin again (its cookies, its
 * storage, its API, a service worker over all of it). No `allow-popups-to-escape-sandbox`
 * either: a window the app opens stays sandboxed.
 */
export const appSandbox = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/**
 * Response headers an app may not send from where it is served:
 * - on labhub's origin, no cookie at all (it would be labhub's), no widening of a service worker's
 *   scope, no clearing of labhub's cookies and storage;
 * - on its own host, no clearing either: `Clear-Site-Data: "cookies"` reaches the whole
 *   registrable domain, other people's apps included.
 */
const dropped: Record<AppMode, Set<string>> = {
  path: new Set(['set-cookie', 'service-worker-allowed', 'clear-site-data', 'access-control-allow-origin']),
  host: new Set(['set-cookie', 'clear-site-data']),
};

/**
 * The headers of an app's response as the browser gets them; built once per response, the body
 * is streamed untouched. In path mode every answer (redirects and errors too) carries the
 * sandbox on top of the app's own policy (a browser enforces every policy it is sent), and
 * `Access-Control-Allow-Origin: null` lets the sandboxed page read its own app's answers (its
 * requests come from the opaque origin `null`); nothing else can: no cookie, of labhub's or the
 * app's, goes with them, and only the app's session path opens the app.
 */
export function appResponseHeaders(incoming: http.IncomingHttpHeaders, mode: AppMode, labhubCookies: readonly string[]): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) if (value !== undefined && !hopByHop.has(name) && !dropped[mode].has(name)) out[name] = value;
  out['x-content-type-options'] = 'nosniff';
  if (mode === 'host') {
    const cookies = appHostSetCookies(incoming['set-cookie'] ?? [], labhubCookies);
    if (cookies.length > 0) out['set-cookie'] = cookies;
    return out;
  }
  const own = incoming['content-security-policy'];
  // Policies separated by commas are enforced one and all, as separate headers are.
  out['content-security-policy'] = own ? [own, appSandbox].flat().join(', ') : appSandbox;
  out['access-control-allow-origin'] = 'null';
  // The page's address holds its app session: it goes to no other site.
  out['referrer-policy'] = 'no-referrer';
  return out;
}
