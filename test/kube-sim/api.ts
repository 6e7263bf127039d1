import { randomBytes } from 'node:crypto';
import { jsonPatch, mergePatch } from './patch.js';
import { alreadyExists, ApiError, apiVersionOf, badRequest, invalid, notFound, resourceOfKind, type KubeObject, type ResourceType } from './resources.js';
import type { ObjectStore } from './store.js';
import { cause, validateObject } from './validation.js';

/** What the API server does between the HTTP layer and the store: defaults, validation, immutability, deletion and garbage collection. */
export class ApiServer {
  private nextClusterIp = 10;

  constructor(readonly store: ObjectStore) {}

  create(resource: ResourceType, namespace: string | undefined, body: unknown, dryRun = false): KubeObject {
    const object = this.checkBody(resource, namespace, body);
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation', 'selfLink']) delete object.metadata[field];
    if (resource.namespaced) this.checkNamespaceOpen(namespace ?? '');
    this.applyDefaults(resource, object);
    this.validate(resource, object);
    if (resource.statusSubresource) object.status = initialStatus(resource);
    if (dryRun) {
      if (this.store.get(resource, namespace, object.metadata.name ?? '')) throw alreadyExists(resource, object.metadata.name ?? '');
      return object;
    }
    return this.store.create(resource, object);
  }

  /** PUT of the whole object (`status: true`: of its status subresource). */
  replace(resource: ResourceType, namespace: string | undefined, name: string, body: unknown, options: { status?: boolean; dryRun?: boolean } = {}): KubeObject {
    const current = this.store.mustGet(resource, namespace, name);
    const object = this.checkBody(resource, namespace, body);
    if (object.metadata.name !== name) throw badRequest(`the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${name})`);
    return this.update(resource, current, object, options);
  }

  patch(resource: ResourceType, namespace: string | undefined, name: string, contentType: string, body: unknown, options: { status?: boolean; dryRun?: boolean } = {}): KubeObject {
    const current = this.store.mustGet(resource, namespace, name);
    let patched: unknown;
    if (contentType.startsWith('application/json-patch+json')) patched = jsonPatch(current, body);
    else if (contentType.startsWith('application/merge-patch+json') || contentType.startsWith('application/strategic-merge-patch+json')) {
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('a merge patch must be a JSON object');
      patched = mergePatch(current, body);
    } else {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    }
    const object = this.checkBody(resource, namespace, patched);
    if (object.metadata.name !== name) throw new ApiError(422, 'Invalid', 'metadata.name: Invalid value: the name cannot be changed by a patch');
    // A patch is made on the current object: its resourceVersion only matters when the patch itself sets one.
    const precondition = (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
    if (precondition === undefined) object.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.update(resource, current, object, options);
  }

  private update(resource: ResourceType, current: KubeObject, object: KubeObject, options: { status?: boolean; dryRun?: boolean }): KubeObject {
    let next: KubeObject;
    if (options.status) {
      // The status subresource changes status only (and nothing of metadata but labels and annotations).
      next = { ...current, status: object.status ?? {} };
    } else {
      next = { ...object, metadata: { ...object.metadata } };
      if (resource.statusSubresource) next.status = current.status ?? {};
      for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation', 'namespace']) {
        if (current.metadata[field] === undefined) delete next.metadata[field];
        else next.metadata[field] = current.metadata[field];
      }
      this.checkImmutable(resource, current, next);
    }
    this.applyDefaults(resource, next);
    this.validate(resource, next);
    if (options.dryRun) return next;
    return this.store.update(resource, next, object.metadata.resourceVersion);
  }

  /**
   * DELETE: namespaces, Pods and VMIs are marked (deletionTimestamp) and finished by their
   * controllers once their workloads are gone; everything else goes at once. Dependents
   * (ownerReferences) follow, as the garbage collector's background propagation does.
   */
  delete(resource: ResourceType, namespace: string | undefined, name: string, options: { dryRun?: boolean; gracePeriodSeconds?: number } = {}): KubeObject {
    const current = this.store.mustGet(resource, namespace, name);
    if (options.dryRun) return current;
    if (resource.kind === 'Namespace' || resource.kind === 'Pod' || resource.kind === 'VirtualMachineInstance' || resource.kind === 'PersistentVolumeClaim') {
      if (current.metadata.deletionTimestamp) return current;
      const next = structuredClone(current);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const grace = options.gracePeriodSeconds ?? (resource.kind === 'Namespace' || resource.kind === 'PersistentVolumeClaim' ? undefined : Number((current.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30));
      if (grace !== undefined) next.metadata.deletionGracePeriodSeconds = grace;
      if (resource.kind === 'Namespace') next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      return this.store.update(resource, next);
    }
    return this.finalize(resource, namespace, name) ?? current;
  }

  /** Removes an object for good and deletes what it owns. */
  finalize(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const removed = this.store.remove(resource, namespace, name);
    if (!removed?.metadata.uid) return removed;
    for (const dependent of this.store.dependentsOf(removed.metadata.uid)) {
      try {
        this.delete(dependent.resource, dependent.object.metadata.namespace, dependent.object.metadata.name ?? '');
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
    return removed;
  }

  /** The body as an object of this resource, with the request's namespace. */
  private checkBody(resource: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
    const object = structuredClone(body) as KubeObject;
    const apiVersion = apiVersionOf(resource);
    if (object.kind === undefined || object.kind === '') object.kind = resource.kind;
    if (object.apiVersion === undefined || object.apiVersion === '') object.apiVersion = apiVersion;
    if (object.kind !== resource.kind || object.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(object.apiVersion)}) and kind (${String(object.kind)}) do not match the endpoint (${apiVersion}, ${resource.kind})`);
    }
    if (!object.metadata || typeof object.metadata !== 'object') object.metadata = {};
    if (resource.namespaced) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== '' && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = namespace;
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }

  private checkNamespaceOpen(namespace: string): void {
    const found = this.store.get(resourceOfKind('Namespace'), undefined, namespace);
    if (!found) throw notFound(resourceOfKind('Namespace'), namespace);
    if (found.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] });
    }
  }

  private validate(resource: ResourceType, object: KubeObject): void {
    const causes = validateObject(resource, object);
    if (causes.length > 0) throw invalid(resource, object.metadata.name ?? object.metadata.generateName ?? '', causes);
  }

  private checkImmutable(resource: ResourceType, current: KubeObject, next: KubeObject): void {
    const causes = [];
    if (resource.kind === 'Pod') {
      // Pod updates may change container images (and a few scheduling fields kube-sim has no use for) only.
      const strip = (spec: unknown) => {
        const copy = structuredClone((spec ?? {}) as { containers?: { image?: string }[] });
        for (const container of copy.containers ?? []) delete container.image;
        return JSON.stringify(copy);
      };
      if (strip(current.spec) !== strip(next.spec)) causes.push(cause.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
    }
    if (resource.kind === 'Service') {
      const was = (current.spec as { clusterIP?: string } | undefined)?.clusterIP;
      const now = (next.spec as { clusterIP?: string } | undefined)?.clusterIP;
      if (now !== undefined && now !== '' && now !== was) causes.push(cause.invalid('spec.clusterIP', now, 'field is immutable'));
      if (next.spec && (now === undefined || now === '')) (next.spec as { clusterIP?: string }).clusterIP = was;
    }
    if (resource.kind === 'PersistentVolumeClaim') {
      const strip = (spec: unknown) => JSON.stringify({ ...((spec ?? {}) as Record<string, unknown>), resources: undefined });
      if (strip(current.spec) !== strip(next.spec)) causes.push(cause.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
    if (resource.kind === 'DataVolume' && JSON.stringify(current.spec) !== JSON.stringify(next.spec)) causes.push(cause.forbidden('spec', 'DataVolume spec is immutable'));
    if (resource.kind === 'VirtualMachineInstance' && JSON.stringify(current.spec) !== JSON.stringify(next.spec)) causes.push(cause.forbidden('spec', 'update of VMI object is restricted'));
    if (causes.length > 0) throw invalid(resource, next.metadata.name ?? '', causes);
  }

  private applyDefaults(resource: ResourceType, object: KubeObject): void {
    const spec = (object.spec ??= {}) as Record<string, unknown>;
    switch (resource.kind) {
      case 'Namespace':
        object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
        spec.finalizers ??= ['kubernetes'];
        break;
      case 'Pod': {
        spec.restartPolicy ??= 'Always';
        spec.terminationGracePeriodSeconds ??= 30;
        spec.dnsPolicy ??= 'ClusterFirst';
        spec.schedulerName ??= 'default-scheduler';
        for (const container of (spec.containers ?? []) as Record<string, unknown>[]) {
          if (container && typeof container === 'object') {
            container.imagePullPolicy ??= typeof container.image === 'string' && /:[^/]+$/.test(container.image) && !container.image.endsWith(':latest') ? 'IfNotPresent' : 'Always';
            container.terminationMessagePath ??= '/dev/termination-log';
            container.terminationMessagePolicy ??= 'File';
          }
        }
        break;
      }
      case 'Service': {
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        if (spec.clusterIP === undefined || spec.clusterIP === '') {
          // Not routable anywhere: kube-sim's Services work by name (see README), the address is only for show.
          spec.clusterIP = `10.96.${Math.floor(this.nextClusterIp / 250)}.${(this.nextClusterIp % 250) + 1}`;
          this.nextClusterIp++;
        }
        spec.clusterIPs ??= [spec.clusterIP];
        for (const port of (spec.ports ?? []) as Record<string, unknown>[]) {
          if (port && typeof port === 'object') {
            port.protocol ??= 'TCP';
            port.targetPort ??= port.port;
          }
        }
        break;
      }
      case 'Secret':
        object.type ??= 'Opaque';
        if (object.stringData && typeof object.stringData === 'object') {
          const data = { ...((object.data as Record<string, string> | undefined) ?? {}) };
          for (const [key, value] of Object.entries(object.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
          object.data = data;
          delete object.stringData;
        }
        if (Object.keys(spec).length === 0) delete object.spec;
        break;
      case 'PersistentVolumeClaim':
        spec.volumeMode ??= 'Filesystem';
        break;
      case 'LimitRange':
      case 'ResourceQuota':
      case 'NetworkPolicy':
      case 'VirtualMachine':
      case 'VirtualMachineInstance':
      case 'DataVolume':
        break;
    }
  }
}

function initialStatus(resource: ResourceType): Record<string, unknown> {
  switch (resource.kind) {
    case 'Namespace':
      return { phase: 'Active' };
    case 'Pod':
      return { phase: 'Pending', qosClass: 'Burstable' };
    case 'Service':
      return { loadBalancer: {} };
    case 'VirtualMachineInstance':
      return { phase: 'Pending' };
    case 'DataVolume':
    case 'PersistentVolumeClaim':
      return { phase: 'Pending' };
    case 'VirtualMachine':
      return { printableStatus: 'Stopped' };
    default:
      return {};
  }
}

/** Label selectors as the API takes them: `a=b,c!=d,e in (f,g),h notin (i),j,!k`. */
export function parseLabelSelector(text: string): (labels: Record<string, string>) => boolean {
  const requirements: ((labels: Record<string, string>) => boolean)[] = [];
  const parts = text.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    let match: RegExpExecArray | null;
    if ((match = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      const [, key = '', operator, list = ''] = match;
      const values = list.split(',').map((value) => value.trim());
      requirements.push(operator === 'in' ? (labels) => key in labels && values.includes(labels[key] ?? '') : (labels) => !(key in labels) || !values.includes(labels[key] ?? ''));
    } else if ((match = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(part))) {
      const [, key = '', value = ''] = match;
      requirements.push((labels) => labels[key] !== value);
    } else if ((match = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(part))) {
      const [, key = '', value = ''] = match;
      requirements.push((labels) => labels[key] === value);
    } else if ((match = /^!\s*(\S+)$/.exec(part))) {
      const [, key = ''] = match;
      requirements.push((labels) => !(key in labels));
    } else if (/^[^\s!=()]+$/.test(part)) {
      requirements.push((labels) => part in labels);
    } else {
      throw badRequest(`unable to parse requirement: invalid label selector "${text}"`);
    }
  }
  return (labels) => requirements.every((requirement) => requirement(labels));
}

/** Field selectors: `metadata.name=x`, `metadata.namespace=y`, `status.phase=Running` (and `!=`). */
export function parseFieldSelector(text: string): (object: KubeObject) => boolean {
  const requirements = text
    .split(',')
    .filter((part) => part.trim())
    .map((part) => {
      const match = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
      if (!match) throw badRequest(`invalid field selector "${text}"`);
      const [, field = '', operator, value = ''] = match;
      const read = (object: KubeObject): unknown => field.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
      return (object: KubeObject) => (operator === '!=' ? String(read(object) ?? '') !== value : String(read(object) ?? '') === value);
    });
  return (object) => requirements.every((requirement) => requirement(object));
}
