/**
 * A lab after parseLab: defaults filled in, durations in seconds, CPU in millicores, sizes in
 * bytes, and every either-or field in one shape. This is what the rest of labhub works with.
 */

export type MachineAccess = 'terminal' | 'desktop' | { http: number };

export interface Credential {
  username: string;
  /** Absent when the user logs in without a password. */
  password?: string;
}

export interface MachineResources {
  /** Thousandths of a CPU: `500m` and `0.5` are 500, `1` is 1000. */
  cpuMillis: number;
  memoryBytes: number;
  /** Null: the runtime's default. */
  diskBytes: number | null;
}

interface MachineCommon {
  name: string;
  resources: MachineResources;
  access: MachineAccess[];
  env: Record<string, string>;
  credentials: Credential[];
}

export interface NormalizedContainerMachine extends MachineCommon {
  type: 'container';
  image: string;
  /** Port of the image's VNC server: declared in the lab or known for labhub's images; null when it has none. */
  vncPort: number | null;
}

export type VmDisk =
  | { source: 'image'; image: string }
  | { source: 'containerDisk'; image: string }
  | { source: 'url'; url: string }
  | { source: 'pvc'; claimName: string };

export interface NormalizedVmMachine extends MachineCommon {
  type: 'vm';
  disk: VmDisk;
  /** cloud-init user data, or null when the lab gives none. */
  userData: string | null;
}

export type NormalizedMachine = NormalizedContainerMachine | NormalizedVmMachine;

export interface NormalizedCheck {
  machine: string;
  run: string;
  timeoutSeconds: number;
}

export interface NormalizedStep {
  title: string;
  /** Markdown; empty when the lab gives none. */
  body: string;
  check: NormalizedCheck | null;
}

export interface NormalizedLimits {
  timeLimitSeconds: number;
  idleTimeoutSeconds: number;
  maxInstancesPerUser: number;
}

export interface NormalizedLab {
  name: string;
  title: string;
  description: string;
  tags: string[];
  /** `metadata.authors`: usernames that co-own the lab (absent in instances started before labs had it). */
  authors?: string[];
  limits: NormalizedLimits;
  network: { egress: 'allow' | 'deny' };
  /** Groups whose members see and start the lab; empty: everyone. */
  groups: string[];
  machines: NormalizedMachine[];
  instructions: NormalizedStep[];
  /** Absent in instances started before labs had it: read it as not gated. */
  guide?: NormalizedGuide;
}

export interface NormalizedGuide {
  /** A step opens only once the checks of the steps before it passed. */
  gated: boolean;
}
