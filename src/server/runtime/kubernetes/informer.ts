import type { FastifyBaseLogger } from 'fastify';
import { KubeApiError, type KubeApi, type KubeList, type KubeObject } from './kube-api.js';
import { pathOf, type Resource } from './resources.js';

export type CacheEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T };

/**
 * One watch cache per kind (kubespawner's reflector): list, then watch from the list's
 * resourceVersion; a watch the server ends is resumed from the last version seen; 410 Gone (the
 * version is too old) lists again; any other failure backs off (0.5 s doubling to 10 s) and lists
 * again. Readers use the cache, never the API: status reads cost nothing per user.
 */
export class WatchCache<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly listeners = new Set<(event: CacheEvent<T>) => void>();
  private readonly stop = new AbortController();
  private resourceVersion: string | undefined;
  private markReady!: () => void;
  /** Resolves after the first successful list. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly api: KubeApi,
    private readonly resource: Resource,
    private readonly labelSelector: string,
    private readonly log?: FastifyBaseLogger,
    /** How long one watch request lasts before it is resumed (the API server ends it then). */
    private readonly watchTimeoutSeconds = 300,
  ) {}

  start(): this {
    void this.run();
    return this;
  }

  close(): void {
    this.stop.abort();
    this.listeners.clear();
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(keyOf(namespace, name));
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (event: CacheEvent<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(): Promise<void> {
    let backoff = 500;
    let mustList = true;
    while (!this.stop.signal.aborted) {
      try {
        if (mustList) {
          await this.relist();
          mustList = false;
        }
        const query: Record<string, string> = { watch: '1', labelSelector: this.labelSelector, allowWatchBookmarks: 'true', timeoutSeconds: String(this.watchTimeoutSeconds) };
        if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
        await this.api.watch<T>(pathOf(this.resource, undefined, undefined, query), (event) => this.apply(event.type, event.object), this.stop.signal);
        backoff = 500;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        mustList = true;
        if (error instanceof KubeApiError && error.status === 410) continue;
        this.log?.warn({ err: error, resource: this.resource.plural }, 'watch failed; listing again after a pause');
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  /** Lists afresh and tells listeners what changed meanwhile (as a watch would have). */
  private async relist(): Promise<void> {
    const list = await this.api.request<KubeList<T>>('GET', pathOf(this.resource, undefined, undefined, { labelSelector: this.labelSelector }));
    const seen = new Set<string>();
    for (const object of list.items) {
      const key = keyOf(object.metadata?.namespace, object.metadata?.name ?? '');
      seen.add(key);
      const previous = this.objects.get(key);
      if (previous?.metadata?.resourceVersion === object.metadata?.resourceVersion) continue;
      this.objects.set(key, object);
      this.emit({ type: previous ? 'MODIFIED' : 'ADDED', object });
    }
    for (const [key, object] of this.objects) {
      if (seen.has(key)) continue;
      this.objects.delete(key);
      this.emit({ type: 'DELETED', object });
    }
    this.resourceVersion = list.metadata?.resourceVersion;
    this.markReady();
  }

  private apply(type: string, object: T): void {
    if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const key = keyOf(object.metadata?.namespace, object.metadata?.name ?? '');
    if (type === 'DELETED') {
      this.objects.delete(key);
      this.emit({ type: 'DELETED', object });
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      const previous = this.objects.has(key);
      this.objects.set(key, object);
      this.emit({ type: previous ? 'MODIFIED' : 'ADDED', object });
    }
  }

  private emit(event: CacheEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log?.error({ err: error }, 'watch cache listener failed');
      }
    }
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
