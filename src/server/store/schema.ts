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
  expires_at: number | null;
}

/** A guided step whose check passed in an instance, and when (first time). */
export interface StepProgressTable {
  instance_id: string;
  step: number;
  passed_at: number;
}
