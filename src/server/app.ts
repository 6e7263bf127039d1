import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { closeCodes } from './gateway/relay.js';
import { sql } from 'kysely';
import { adminRoutes } from './api/admin/routes.js';
import { authRoutes } from './api/auth/routes.js';
import { groupRoutes } from './api/groups/routes.js';
import { instanceRoutes } from './api/instances/routes.js';
import { quotaRoutes } from './api/quotas/routes.js';
import { stepRoutes } from './api/steps/routes.js';
import { labRoutes } from './api/labs/routes.js';
import { schemaRoutes } from './api/schema/routes.js';
import { systemRoutes } from './api/system/routes.js';
import { LoginLimiter, type LoginLimits } from './auth/login-limiter.js';
import { oidcLoginFrom } from './auth/oidc.js';
import { PasswordChecker } from './auth/passwords.js';
import { SessionService, defaultSessionPolicy, type Clock, type SessionPolicy } from './auth/session-service.js';
import type { Config } from './config.js';
import { installAccessControl } from './http/access.js';
import { installErrorHandling } from './http/errors.js';
import { createMetrics, installRequestMetrics } from './http/metrics.js';
import { installOriginCheck } from './http/origin.js';
import { serializeRequest } from './http/request-log.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { installStrictValidation } from './http/validation.js';
import { installWeb } from './http/web.js';
import { ActivityTracker } from './gateway/activity.js';
import { AppSessions } from './gateway/app-sessions.js';
import { appEntryUrl, appHostRewrite, appRoutes } from './gateway/apps.js';
import { gatewayRoutes } from './gateway/routes.js';
import { TerminalSessions } from './gateway/terminal-sessions.js';
import { InstanceService } from './instances/instance-service.js';
import { StepService } from './instances/steps.js';
import { Reconciler, defaultReconcilerOptions, type ReconcilerOptions } from './instances/reconciler.js';
import { LabCatalog } from './labs/catalog.js';
import { LabAuthoring } from './labs/authoring.js';
import { LabVisibility } from './labs/visibility.js';
import { FileLabSource, type FileLabsOptions } from './labs/file-labs.js';
import { Doctor, hostChecks } from './doctor/doctor.js';
import { createRuntime } from './runtime/create-runtime.js';
import { LocalRuntime } from './runtime/local/local-runtime.js';
import type { Runtime } from './runtime/runtime.js';
import type { Services } from './services.js';
import { AuditRepository } from './store/audit.js';
import { GroupRepository } from './store/groups.js';
import { OidcRepository } from './store/oidc.js';
import { InstanceRepository } from './store/instances.js';
import { ShareRepository } from './store/shares.js';
import { InstanceAccessPolicy } from './instances/access.js';
import { QuotaService } from './instances/quotas.js';
import { GatewayConnections } from './gateway/connections.js';
import { LabRepository } from './store/labs.js';
import { SessionRepository } from './store/sessions.js';
import { StepProgressRepository } from './store/step-progress.js';
import type { Store } from './store/store.js';
import { UserRepository } from './store/users.js';

export interface AppDeps {
  config: Config;
  store: Store;
  /** pino options, or false for silence (tests). */
  logger?: FastifyServerOptions['logger'];
  clock?: Clock;
  loginLimits?: LoginLimits;
  sessionPolicy?: SessionPolicy;
  /** How the labs directory is watched (tests shorten the intervals). */
  labFiles?: FileLabsOptions;
  /** Where the built web UI lives; defaults to `dist/web` of this package. */
  webRoot?: string;
  /** The runtime; defaults to the one `LABHUB_RUNTIME` names. */
  runtime?: Runtime;
  /** Reconciler timing (tests shorten it), or false to run none (tests that drive it by hand). */
  reconciler?: ReconcilerOptions | false;
  /** The host checks; defaults to those of the runtime (doctor/doctor.ts). */
  doctor?: Doctor;
}

export const defaultWebRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Secrets that must never reach a log line (request URLs lose their secret query values in `serializeRequest`). */
const redact = ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', 'body.password'];
const serializers = { req: serializeRequest };

/** Assembles the server in order; never listens (tests use `inject()`, main.ts listens). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const clock = deps.clock ?? Date.now;
  const logger = deps.logger === undefined ? { level: 'info', redact, serializers } : deps.logger && typeof deps.logger === 'object' ? { redact, serializers, ...deps.logger } : deps.logger;
  const app = Fastify({
    logger,
    trustProxy: trustedProxies(config.trustProxy),
    rewriteUrl: appHostRewrite(config.appsDomain),
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  installStrictValidation(app);

  const https = config.publicUrl.startsWith('https:');
  const users = new UserRepository(store.db);
  const sessions = new SessionService(new SessionRepository(store.db), users, deps.sessionPolicy ?? defaultSessionPolicy, clock);
  const instanceRepository = new InstanceRepository(store.db);
  const shares = new ShareRepository(store.db);
  const labs = new LabCatalog(new LabRepository(store.db), new FileLabSource(config.labsDir, new LabRepository(store.db), app.log, deps.labFiles));
  const access = new InstanceAccessPolicy(shares, labs);
  const groups = new GroupRepository(store.db);
  const labVisibility = new LabVisibility(groups);
  const identities = new OidcRepository(store.db);
  const ssoLogin = oidcLoginFrom(config, identities, clock);
  const metrics = createMetrics();
  const runtime = deps.runtime ?? createRuntime(config, app.log);
  const doctor =
    deps.doctor ??
    new Doctor(() =>
      hostChecks({ localRuntime: runtime instanceof LocalRuntime ? { kvm: () => runtime.capabilities().kvm } : undefined, engineSocket: config.engineSocket, dataDir: config.dataDir, databaseUrl: config.databaseUrl, pingDatabase: () => sql`select 1`.execute(store.db) }),
    );
  const services: Services = {
    config,
    store,
    users,
    sessions,
    connections: new GatewayConnections(sessions, instanceRepository, access, app.log),
    quotas: new QuotaService(store.db, store.dialect, { instances: config.quotaInstances, cpuMillis: config.quotaCpuMillis, memoryBytes: config.quotaMemoryBytes }),
    audit: new AuditRepository(store.db),
    loginLimiter: new LoginLimiter(deps.loginLimits, clock),
    passwords: new PasswordChecker(metrics.passwordVerifications),
    cookieName: https ? '__Host-labhub_session' : 'labhub_session',
    labs,
    groups,
    labVisibility,
    labAuthoring: new LabAuthoring(labs, labVisibility, users),
    sso: ssoLogin && { login: ssoLogin, identities },
    doctor,
  };

  installErrorHandling(app, metrics.errorsTotal);
  installRequestMetrics(app, metrics.registry);
  installSecurityHeaders(app, https);
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 }, preClose: closeWebSockets });
  installOriginCheck(app, config.publicUrl);
  installAccessControl(app, services.sessions, services.cookieName);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'labhub API', version: '1', description: 'Labs of VMs and containers, used from a browser.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: services.cookieName } } },
      security: [{ session: [] }],
    },
  });

  await app.register(systemRoutes, { services, registry: metrics.registry });
  await app.register(authRoutes, { services });
  await app.register(adminRoutes, { services });
  await app.register(groupRoutes, { services });
  await app.register(labRoutes, { services });
  await app.register(schemaRoutes);
  const instances = new InstanceService(instanceRepository, runtime, services.labs, users, store.installation, access, services.quotas, app.log, clock);
  const terminals = new TerminalSessions(runtime);
  const activity = new ActivityTracker(clock);
  await app.register(quotaRoutes, { services });
  await app.register(instanceRoutes, { services, instances, activity, shares, connections: services.connections });
  const progress = new StepProgressRepository(store.db);
  const appUrl = appEntryUrl(config.appsDomain);
  const steps = new StepService({ progress, runtime, consoles: terminals, appUrl: (...target) => new URL(appUrl(...target), config.publicUrl).href, now: clock });
  await app.register(stepRoutes, { services, instances, steps, progress });
  await app.register(gatewayRoutes, { services, instances, runtime, terminals, activity });
  await app.register(appRoutes, {
    instances,
    runtime,
    activity,
    sessions,
    appSessions: new AppSessions(clock),
    cookieName: services.cookieName,
    publicUrl: config.publicUrl,
    appsDomain: config.appsDomain,
    audit: services.audit,
    connections: services.connections,
  });
  app.addHook('preClose', () => terminals.close());
  app.addHook('onReady', async () => services.connections.start());
  // One line per check in the log at start; not awaited: a slow engine must not hold the server back.
  app.addHook('onReady', async () => void doctor.logTo(app.log).catch((error: unknown) => app.log.warn({ err: error }, 'host checks failed to run')));
  app.addHook('preClose', () => services.connections.stop());
  if (deps.reconciler !== false) {
    const reconciler = new Reconciler(instances, runtime, activity, store.installation, app.log, clock, deps.reconciler ?? defaultReconcilerOptions);
    app.addHook('onReady', async () => reconciler.start());
    app.addHook('preClose', async () => reconciler.stop());
  }
  app.addHook('onClose', () => runtime.close());
  await installWeb(app, deps.webRoot ?? defaultWebRoot);

  const sweep = setInterval(() => void services.sessions.deleteExpired().catch((error: unknown) => app.log.warn({ err: error }, 'session sweep failed')), 3600_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  await services.labs.start();
  app.addHook('onClose', () => services.labs.stop());
  return app;
}

/**
 * Fastify's trustProxy for LABHUB_TRUST_PROXY. A hop count becomes a function: Fastify itself
 * trusts no peer for a bare number, so `2` would otherwise ignore the headers altogether.
 */
function trustedProxies(setting: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}

/**
 * On shutdown, every browser socket is told labhub is going away (1001: browsers reconnect) and
 * cut a second later: ws would otherwise wait up to 30 s for each peer's closing handshake, and a
 * peer that reads nothing (a stalled tab) would hold the shutdown that long.
 */
function closeWebSockets(this: FastifyInstance, done: () => void): void {
  const clients = [...this.websocketServer.clients];
  for (const client of clients) client.close(closeCodes.goingAway, 'labhub is restarting');
  const cut = setTimeout(() => clients.forEach((client) => client.terminate()), 1000);
  cut.unref();
  this.websocketServer.close(() => done());
}
