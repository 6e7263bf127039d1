/** The kinds kube-sim serves: where each lives in the URL space, and what the API server does with it. */

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Whether `status` is a subresource: the main endpoint keeps the stored status, `/status` changes only status. */
  statusSubresource: boolean;
  /** Custom resources (KubeVirt, CDI): their list items carry apiVersion and kind, as the real API server's CRD lists do. */
  custom: boolean;
  /** The name rule the API server applies to metadata.name. */
  nameRule: 'label' | 'dns1035' | 'subdomain';
  shortNames?: string[];
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

const core = (plural: string, kind: string, namespaced: boolean, statusSubresource: boolean, nameRule: 'label' | 'dns1035' | 'subdomain'): ResourceType => ({
  group: '',
  version: 'v1',
  plural,
  kind,
  namespaced,
  statusSubresource,
  custom: false,
  nameRule,
});

export const resourceTypes: ResourceType[] = [
  core('namespaces', 'Namespace', false, true, 'label'),
  core('pods', 'Pod', true, true, 'subdomain'),
  // Service names are DNS-1035 labels (ValidateServiceName = NameIsDNS1035Label in k8s.io/kubernetes).
  core('services', 'Service', true, true, 'dns1035'),
  core('secrets', 'Secret', true, false, 'subdomain'),
  core('resourcequotas', 'ResourceQuota', true, true, 'subdomain'),
  core('limitranges', 'LimitRange', true, false, 'subdomain'),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', true, true, 'subdomain'),
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, statusSubresource: false, custom: false, nameRule: 'subdomain' },
  { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', kind: 'VirtualMachine', namespaced: true, statusSubresource: true, custom: true, nameRule: 'subdomain', shortNames: ['vm', 'vms'] },
  { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', kind: 'VirtualMachineInstance', namespaced: true, statusSubresource: true, custom: true, nameRule: 'subdomain', shortNames: ['vmi', 'vmis'] },
  { group: 'cdi.kubevirt.io', version: 'v1beta1', plural: 'datavolumes', kind: 'DataVolume', namespaced: true, statusSubresource: true, custom: true, nameRule: 'subdomain', shortNames: ['dv', 'dvs'] },
];

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((type) => type.group === group && type.version === version && type.plural === plural);
}

export function resourceOfKind(kind: string): ResourceType {
  const type = resourceTypes.find((candidate) => candidate.kind === kind);
  if (!type) throw new Error(`kube-sim serves no kind ${kind}`);
  return type;
}

/** Any stored object. kube-sim keeps objects as plain JSON, the way they travel on the wire. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A Kubernetes Status object: every error kube-sim answers is one, as on a real API server. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** An error that the API answers as a Status with `code`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details && { details: this.details }), code: this.code };
  }
}

function groupResource(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${groupResource(type)} "${name}" not found`, { name, group: type.group, kind: type.plural });
}

export function alreadyExists(type: ResourceType, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${groupResource(type)} "${name}" already exists`, { name, group: type.group, kind: type.plural });
}

export function conflict(type: ResourceType, name: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
    name,
    group: type.group,
    kind: type.plural,
  });
}

export function invalid(type: ResourceType, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const message = `${type.kind}${type.group ? `.${type.group}` : ''} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', message, { name, group: type.group, kind: type.kind, causes });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}
