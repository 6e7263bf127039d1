import type { Generated } from 'kysely';

/** Tables as the query layer sees them. Times are epoch milliseconds; flags are 0/1 (portable across SQLite and PostgreSQL). */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  labs: LabsTable;
  lab_versions: LabVersionsTable;
  instances: InstancesTable;
  step_progress: StepProgressTable;
  installation: { id: string; created_at: number };
  groups: GroupsTable;
  group_members: GroupMembersTable;
  user_identities: UserIdentitiesTable;
  oidc_logins: OidcLoginsTable;
  shares: SharesTable;
  group_quotas: GroupQuotasTable;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: 'admin' | 'author' | 'user';
  password_hash: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value: a copy of the database does not hold usable sessions. */
  id_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  detail: string | null;
}

export interface LabsTable {
  name: string;
  /** file: from the labs directory; store: written through the API. */
  source: 'file' | 'store';
  latest_version: number;
  created_at: number;
  updated_at: number;
  /** Deleted labs keep their versions (running instances resolve them); null while live. */
  deleted_at: number | null;
  /** Username of the author who created a lab written through the API (decision 0015); null for file labs. */
  owner: string | null;
}

export interface LabVersionsTable {
  lab_name: string;
  version: number;
  source: 'file' | 'store';
  yaml: string;
  sha256: string;
  /** Username of the author; null for versions recorded from a file. */
  created_by: string | null;
  created_at: number;
}

export interface InstancesTable {
  id: string;
  owner_id: string;
  lab_name: string;
  lab_version: number;
  /** The normalized lab (JSON) the instance was started from: it keeps that version whatever happens to the lab later. */
  lab_snapshot: string;
  desired: 'running' | 'stopped' | 'paused' | 'deleted';
  status: 'starting' | 'running' | 'stopping' | 'stopped' | 'paused' | 'failed' | 'deleting';
  /** What is happening now, or why it failed, in words. */
  message: string | null;
  /** JSON: [{name, type, state, message?}] */
  machines: string;
  created_at: number;
  updated_at: number;
  /** While the time limit's clock runs: when it stops the instance (extendable); else null. */
  expires_at: number | null;
  /** Running time the instance may have in all (the lab's time limit plus extensions); null without a limit. */
  time_allowed_ms: number | null;
  /** Running time used by finished running periods. */
  time_used_ms: number;
  /** When the current running period began (machines running or paused); null while the clock stands. */
  clock_started_at: number | null;
  /** How far a start is, 0–100, while one is under way; else null. */
  progress: number | null;
}

/** A guided step whose check passed in an instance, and when (first time). */
export interface StepProgressTable {
  instance_id: string;
  step: number;
  passed_at: number;
}

/** A grant by an instance's owner (or an admin) to another user. */
export interface SharesTable {
  instance_id: string;
  user_id: string;
  /** view: sees the screens, input dropped; control: uses the machines too. */
  access: 'view' | 'control';
  /** Username of who granted it. */
  granted_by: string;
  created_at: number;
}

/** A set of users (a course, a class): labs can be limited to groups. */
export interface GroupsTable {
  id: string;
  /** Lower-case, unique; lab files and the single sign-on groups claim name groups by it. */
  name: string;
  description: string;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  /** admin: added by an admin, stays until an admin removes it; sso: from the groups claim, synced at each login. */
  source: 'admin' | 'sso';
  added_at: number;
}

/** A single sign-on account (the provider's stable `sub`) linked to a labhub user. */
export interface UserIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: number;
}

/** A login started at the OpenID provider and not finished yet, found by the hash of its browser cookie. */
export interface OidcLoginsTable {
  id_hash: string;
  state: string;
  nonce: string;
  code_verifier: string;
  /** Where to go once logged in: a path on this site. */
  next: string;
  expires_at: number;
}

/** What a group's members may use beyond the configured default quota; null keeps the default. */
export interface GroupQuotasTable {
  group_id: string;
  instances: number | null;
  cpu_millis: number | null;
  memory_bytes: number | null;
  updated_at: number;
}
