import { ApiError, resourceOfKind, type KubeObject, type ResourceType } from './resources.js';
import type { ObjectStore } from './store.js';
import { parseQuantity } from './validation.js';

/**
 * The admission plugins of the API server that labhub's objects meet, in the order the real
 * server runs them (k8s.io/apiserver's LimitRanger before ResourceQuota): LimitRange defaults are
 * written into a new Pod's containers, then every ResourceQuota of the namespace must admit the
 * new Pod or claim. Refusals are 403 Forbidden with the API server's own wording.
 */
export function admit(store: ObjectStore, resource: ResourceType, namespace: string | undefined, object: KubeObject): void {
  if (!namespace || (resource.kind !== 'Pod' && resource.kind !== 'PersistentVolumeClaim')) return;
  if (resource.kind === 'Pod') applyLimitRanges(store, namespace, object);
  for (const quota of store.list(resourceOfKind('ResourceQuota'), namespace)) checkQuota(store, namespace, quota, resource, object);
}

type Amounts = Map<string, number>;

/** LimitRanger: `default` becomes a container's limits and `defaultRequest` its requests, where the container states none. */
function applyLimitRanges(store: ObjectStore, namespace: string, pod: KubeObject): void {
  for (const range of store.list(resourceOfKind('LimitRange'), namespace)) {
    for (const limit of list(record(range.spec).limits)) {
      if (limit.type !== 'Container') continue;
      for (const container of containersOf(pod)) {
        const resources = (container.resources ??= {}) as Record<string, Record<string, unknown>>;
        for (const [field, defaults] of [['limits', limit.default], ['requests', limit.defaultRequest ?? limit.default]] as const) {
          for (const [name, value] of Object.entries(record(defaults))) {
            const current = (resources[field] ??= {});
            current[name] ??= value;
          }
        }
      }
    }
  }
}

/** ResourceQuota admission: what the namespace uses plus what the object asks, against each `hard` the quota tracks. */
function checkQuota(store: ObjectStore, namespace: string, quota: KubeObject, resource: ResourceType, object: KubeObject): void {
  const hard = record(record(quota.spec).hard);
  const requested = resource.kind === 'Pod' ? podUsage(object) : claimUsage(object);
  const tracked = [...requested.keys()].filter((name) => name in hard);
  if (tracked.length === 0) return;
  if (resource.kind === 'Pod') {
    const missing = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'].filter((name) => name in hard && !requested.has(name));
    if (missing.length > 0) {
      const names = containersOf(object).map((container) => String(container.name)).join(',');
      throw new ApiError(403, 'Forbidden', `pods "${String(object.metadata.name)}" is forbidden: failed quota: ${String(quota.metadata.name)}: must specify ${missing.join(',')} for: ${names}`);
    }
  }
  const used = namespaceUsage(store, namespace);
  const over = tracked.sort().filter((name) => (used.get(name) ?? 0) + (requested.get(name) ?? 0) > (parseQuantity(hard[name]) ?? 0));
  if (over.length === 0) return;
  const show = (amounts: (name: string) => number) => over.map((name) => `${name}=${formatQuantity(name, amounts(name))}`).join(',');
  throw new ApiError(
    403,
    'Forbidden',
    `${resource.plural} "${String(object.metadata.name)}" is forbidden: exceeded quota: ${String(quota.metadata.name)}, requested: ${show((name) => requested.get(name) ?? 0)}, used: ${show((name) => used.get(name) ?? 0)}, limited: ${show((name) => parseQuantity(hard[name]) ?? 0)}`,
  );
}

function namespaceUsage(store: ObjectStore, namespace: string): Amounts {
  const total: Amounts = new Map();
  const add = (amounts: Amounts) => amounts.forEach((value, name) => total.set(name, (total.get(name) ?? 0) + value));
  // Pods in a terminal phase no longer count against a quota; claims count until they are gone.
  for (const pod of store.list(resourceOfKind('Pod'), namespace)) if (!['Succeeded', 'Failed'].includes(String(record(pod.status).phase))) add(podUsage(pod));
  for (const claim of store.list(resourceOfKind('PersistentVolumeClaim'), namespace)) add(claimUsage(claim));
  return total;
}

/** A Pod's count and compute: the sum over its containers, or the largest init container when that is more. */
function podUsage(pod: KubeObject): Amounts {
  const amounts: Amounts = new Map([['pods', 1], ['count/pods', 1]]);
  const spec = record(pod.spec);
  for (const field of ['requests', 'limits'] as const) {
    for (const name of ['cpu', 'memory']) {
      const sum = (containers: Record<string, unknown>[]) => containers.map((container) => quantity(record(record(container.resources)[field])[name])).filter((value): value is number => value !== undefined);
      const regular = sum(list(spec.containers));
      if (regular.length === 0) continue;
      const init = sum(list(spec.initContainers));
      amounts.set(`${field}.${name}`, Math.max(regular.reduce((a, b) => a + b, 0), ...init));
      if (field === 'requests') amounts.set(name, amounts.get(`${field}.${name}`) ?? 0);
    }
  }
  return amounts;
}

function claimUsage(claim: KubeObject): Amounts {
  const storage = quantity(record(record(record(claim.spec).resources).requests).storage) ?? 0;
  return new Map([['persistentvolumeclaims', 1], ['count/persistentvolumeclaims', 1], ['requests.storage', storage]]);
}

/** A quantity the way the API server prints one: cores or millicores for CPU, the largest exact binary unit for bytes. */
function formatQuantity(name: string, value: number): string {
  if (/cpu$/.test(name)) return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  if (!/memory$|storage$/.test(name)) return String(value);
  const unit = (['Ti', 'Gi', 'Mi', 'Ki'] as const).find((_, i) => value > 0 && value % 1024 ** (4 - i) === 0);
  return unit ? `${value / 1024 ** (4 - ['Ti', 'Gi', 'Mi', 'Ki'].indexOf(unit))}${unit}` : String(value);
}

function quantity(value: unknown): number | undefined {
  return value === undefined ? undefined : parseQuantity(value);
}

function containersOf(pod: KubeObject): Record<string, unknown>[] {
  const spec = record(pod.spec);
  return [...list(spec.initContainers), ...list(spec.containers)];
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}
