import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, type KubeObject, type ResourceType } from './resources.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  resourceVersion: number;
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED, so a watch with a selector can tell an object that stopped matching. */
  previous?: KubeObject;
}

/** How many events the store keeps for watches that resume from a resourceVersion; older ones answer 410 Gone. */
const historyLimit = 5000;

/**
 * The objects, like etcd behind the API server: one resourceVersion counter for everything, an
 * event history for watches, compaction (older resourceVersions are gone). Objects go in and out
 * as copies, so nobody changes a stored object behind the store's back.
 */
export class ObjectStore {
  private readonly objects = new Map<string, { resource: ResourceType; object: KubeObject }>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision = 1;
  /** Watches from resourceVersions below this answer 410 Gone. */
  private compactedAt = 1;

  get resourceVersion(): number {
    return this.revision;
  }

  private key(resource: ResourceType, namespace: string | undefined, name: string): string {
    return `${resource.group}/${resource.plural}/${namespace ?? ''}/${name}`;
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const entry = this.objects.get(this.key(resource, namespace, name));
    return entry && structuredClone(entry.object);
  }

  mustGet(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.get(resource, namespace, name);
    if (!object) throw notFound(resource, name);
    return object;
  }

  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const found: KubeObject[] = [];
    for (const entry of this.objects.values()) {
      if (entry.resource !== resource) continue;
      if (namespace !== undefined && entry.object.metadata.namespace !== namespace) continue;
      found.push(structuredClone(entry.object));
    }
    return found.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  /** Every object of every kind in `namespace`. */
  inNamespace(namespace: string): { resource: ResourceType; object: KubeObject }[] {
    return [...this.objects.values()].filter((entry) => entry.object.metadata.namespace === namespace).map((entry) => ({ resource: entry.resource, object: structuredClone(entry.object) }));
  }

  /** Objects whose ownerReferences name `uid` (for garbage collection). */
  dependentsOf(uid: string): { resource: ResourceType; object: KubeObject }[] {
    return [...this.objects.values()].filter((entry) => entry.object.metadata.ownerReferences?.some((owner) => owner.uid === uid)).map((entry) => ({ resource: entry.resource, object: structuredClone(entry.object) }));
  }

  create(resource: ResourceType, object: KubeObject): KubeObject {
    const name = object.metadata.name ?? '';
    const key = this.key(resource, object.metadata.namespace, name);
    if (this.objects.has(key)) throw alreadyExists(resource, name);
    const stored = structuredClone(object);
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.generation = 1;
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, { resource, object: stored });
    this.emit({ resourceVersion: this.revision, type: 'ADDED', resource, object: stored });
    return structuredClone(stored);
  }

  /**
   * Replaces a stored object. With `expectedVersion`, refuses (409 Conflict) when the object
   * changed since. An update that changes nothing is no event and keeps the resourceVersion, as
   * on a real API server.
   */
  update(resource: ResourceType, object: KubeObject, expectedVersion?: string): KubeObject {
    const name = object.metadata.name ?? '';
    const key = this.key(resource, object.metadata.namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(resource, name);
    if (expectedVersion !== undefined && expectedVersion !== '' && expectedVersion !== current.object.metadata.resourceVersion) throw conflict(resource, name);
    const next = structuredClone(object);
    next.metadata.uid = current.object.metadata.uid;
    next.metadata.creationTimestamp = current.object.metadata.creationTimestamp;
    next.metadata.resourceVersion = current.object.metadata.resourceVersion;
    next.metadata.generation = current.object.metadata.generation;
    if (current.object.metadata.deletionTimestamp && !next.metadata.deletionTimestamp) next.metadata.deletionTimestamp = current.object.metadata.deletionTimestamp;
    if (JSON.stringify(next) === JSON.stringify(current.object)) return structuredClone(current.object);
    if (JSON.stringify(withoutMetaAndStatus(next)) !== JSON.stringify(withoutMetaAndStatus(current.object))) next.metadata.generation = (current.object.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, { resource, object: next });
    this.emit({ resourceVersion: this.revision, type: 'MODIFIED', resource, object: next, previous: current.object });
    return structuredClone(next);
  }

  /** Removes an object for good (the end of a deletion); answers what was removed. */
  remove(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    this.objects.delete(key);
    const removed = structuredClone(current.object);
    removed.metadata.resourceVersion = String(++this.revision);
    this.emit({ resourceVersion: this.revision, type: 'DELETED', resource, object: removed });
    return structuredClone(removed);
  }

  /** Events after `resourceVersion`, or 'gone' when the history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'gone' {
    if (resourceVersion < this.compactedAt) return 'gone';
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** Forgets the event history (as etcd compaction does): watches from any earlier resourceVersion answer 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedAt = this.revision;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > historyLimit) {
      const dropped = this.history.splice(0, this.history.length - historyLimit);
      this.compactedAt = Math.max(this.compactedAt, dropped[dropped.length - 1]?.resourceVersion ?? 0);
    }
    for (const listener of this.listeners) listener(event);
  }
}

function withoutMetaAndStatus(object: KubeObject): unknown {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}
