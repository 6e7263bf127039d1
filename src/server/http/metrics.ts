import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  errorsTotal: Counter<'reason'>;
  /** Password checks (argon2 verifications), for logins with unknown names too: guessing shows here. */
  passwordVerifications: Counter;
}

/** A registry per app (tests build many apps in one process), with process metrics and an HTTP request histogram. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'labhub_' });
  const errorsTotal = new Counter({ name: 'labhub_errors_total', help: 'Error responses by reason', labelNames: ['reason'], registers: [registry] });
  const passwordVerifications = new Counter({ name: 'labhub_password_verifications_total', help: 'Password verifications (argon2), one per password login attempt that was not rate limited', registers: [registry] });
  return { registry, errorsTotal, passwordVerifications };
}

export function installRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'labhub_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
