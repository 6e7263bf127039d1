import type { LoginLimiter } from './auth/login-limiter.js';
import type { OidcLogin } from './auth/oidc.js';
import type { PasswordChecker } from './auth/passwords.js';
import type { SessionService } from './auth/session-service.js';
import type { Config } from './config.js';
import type { Doctor } from './doctor/doctor.js';
import type { GatewayConnections } from './gateway/connections.js';
import type { QuotaService } from './instances/quotas.js';
import type { LabCatalog } from './labs/catalog.js';
import type { LabAuthoring } from './labs/authoring.js';
import type { LabVisibility } from './labs/visibility.js';
import type { AuditRepository } from './store/audit.js';
import type { GroupRepository } from './store/groups.js';
import type { OidcRepository } from './store/oidc.js';
import type { Store } from './store/store.js';
import type { UserRepository } from './store/users.js';

/** What route plugins are given: the configuration and the domain services, nothing global. */
export interface Services {
  config: Config;
  store: Store;
  users: UserRepository;
  sessions: SessionService;
  /** Open terminal, desktop and app sockets: closed when their user signs out, is disabled or loses access. */
  connections: GatewayConnections;
  /** Per-user quotas (defaults from the configuration, raised per group) and their usage. */
  quotas: QuotaService;
  audit: AuditRepository;
  loginLimiter: LoginLimiter;
  /** Checks login passwords; every attempt costs one verification, whether the account exists or not. */
  passwords: PasswordChecker;
  /** The session cookie's name: `__Host-` prefixed under HTTPS. */
  cookieName: string;
  /** File and store labs, their versions and validation. */
  labs: LabCatalog;
  /** Groups of users (a course, a class); labs can be limited to them. */
  groups: GroupRepository;
  /** Which labs each user sees and may start (`spec.groups`). */
  labVisibility: LabVisibility;
  /** Writing labs and reading their versions and progress, for their owner, authors and admins only. */
  labAuthoring: LabAuthoring;
  /** Single sign-on (OpenID Connect), when configured. */
  sso: { login: OidcLogin; identities: OidcRepository } | undefined;
  /** The host checks (`labhub doctor`): logged at start, shown to admins, and what refuses a lab the host cannot run. */
  doctor: Doctor;
}
