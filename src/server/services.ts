import type { LoginLimiter } from './auth/login-limiter.js';
import type { SessionService } from './auth/session-service.js';
import type { Config } from './config.js';
import type { LabCatalog } from './labs/catalog.js';
import type { AuditRepository } from './store/audit.js';
import type { Store } from './store/store.js';
import type { UserRepository } from './store/users.js';

/** What route plugins are given: the configuration and the domain services, nothing global. */
export interface Services {
  config: Config;
  store: Store;
  users: UserRepository;
  sessions: SessionService;
  audit: AuditRepository;
  loginLimiter: LoginLimiter;
  /** The session cookie's name: `__Host-` prefixed under HTTPS. */
  cookieName: string;
  /** File and store labs, their versions and validation. */
  labs: LabCatalog;
}
