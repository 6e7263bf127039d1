import type { FastifyRequest } from 'fastify';

/**
 * Query parameters whose values are secrets: one-time app tickets, the provider's `code` and
 * `state` on the single sign-on callback, and anything named like a token, secret or password.
 */
const secretParameter = /^(code|state|session_state)$|ticket|token|secret|password|passwd|assertion|signature/i;

/** `url` with the values of secret query parameters replaced by `[redacted]`; the path and other parameters stay readable. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq !== -1 && secretParameter.test(decodedName(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${query.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** The request as every log line shows it (Fastify's own fields), its URL redacted. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    // The client behind a trusted proxy (LABHUB_TRUST_PROXY), as limits and the audit log see it.
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
