import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';

/** An object as the API returns it: only what every kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A refusal of the API server, with its Status: `status` 404 NotFound, 409 AlreadyExists/Conflict, 410 Gone, 422 Invalid, … */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly causes: { field?: string; message?: string }[] = [],
  ) {
    super(message);
  }
}

/** An open WebSocket whose first messages wait for `release()`, called once the reader's handlers are attached. */
export interface OpenedSocket {
  socket: WebSocket;
  release(): void;
}

export type PatchType = 'merge' | 'json';
const patchContentTypes: Record<PatchType, string> = { merge: 'application/merge-patch+json', json: 'application/json-patch+json' };

/**
 * The Kubernetes API over HTTP(S) and WebSocket, authenticated as the kubeconfig says
 * (@kubernetes/client-node resolves it: `KUBECONFIG`, ~/.kube/config or the in-cluster service
 * account, with every auth plugin it knows). labhub speaks to a handful of fixed paths, so it
 * uses plain requests rather than a discovery-driven client.
 */
export class KubeApi {
  private readonly server: URL;
  private readonly plainHttp: boolean;
  private readonly httpAgent = new http.Agent({ keepAlive: true });

  constructor(private readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    this.server = new URL(cluster.server);
    this.plainHttp = this.server.protocol === 'http:';
  }

  /** The usual resolution: `KUBECONFIG`, then ~/.kube/config, then the in-cluster service account. */
  static fromDefault(): KubeApi {
    const config = new KubeConfig();
    config.loadFromDefault();
    return new KubeApi(config);
  }

  /** The namespace of the kubeconfig's current context (in a cluster: the service account's). */
  get currentNamespace(): string | undefined {
    return this.config.getContextObject(this.config.getCurrentContext())?.namespace;
  }

  async request<T>(method: string, path: string, body?: unknown, patchType?: PatchType): Promise<T> {
    const response = await this.send(method, path, body, patchType);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    throw errorOf(status, text);
  }

  /** GET, with 404 as undefined. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** DELETE, with 404 as done (already gone). */
  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return;
      throw error;
    }
  }

  /**
   * A watch: newline-delimited events until the server ends it (resolves) or `signal` aborts
   * (resolves). An ERROR event becomes a KubeApiError (410 Gone: the resourceVersion is too old).
   */
  async watch<T>(path: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const response = await this.send('GET', path, undefined, undefined, signal);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorOf(status, await readBody(response));
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const finish = () => (signal.removeEventListener('abort', abort), resolve());
      const abort = () => (response.destroy(), finish());
      signal.addEventListener('abort', abort, { once: true });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const failure = event.object as { code?: number; reason?: string; message?: string };
            response.destroy();
            signal.removeEventListener('abort', abort);
            reject(new KubeApiError(failure.code ?? 500, failure.reason ?? 'Unknown', failure.message ?? 'watch failed'));
            return;
          }
          onEvent(event);
        }
      });
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', (error) => (signal.aborted ? finish() : reject(error)));
    });
  }

  /**
   * Opens a WebSocket to `path` (exec, portforward, console, vnc), offering `protocols` in order of
   * preference. Servers speak first (a port-forward names its port at once), possibly before the
   * caller has attached its handlers: messages are held until `release()` replays them.
   */
  async websocket(path: string, protocols: string[]): Promise<OpenedSocket> {
    const options = await this.requestOptions();
    const url = new URL(path, this.server);
    url.protocol = this.plainHttp ? 'ws:' : 'wss:';
    const socket = new WebSocket(url, protocols, { ...(options as WebSocket.ClientOptions), headers: options.headers as Record<string, string> });
    const held: [Buffer, boolean][] = [];
    const hold = (data: Buffer, isBinary: boolean) => held.push([data, isBinary]);
    socket.on('message', hold);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        void readBody(response).then((text) => reject(errorOf(response.statusCode ?? 0, text)));
      });
      socket.once('error', reject);
    });
    return {
      socket,
      release() {
        socket.off('message', hold);
        for (const [data, isBinary] of held.splice(0)) socket.emit('message', data, isBinary);
      },
    };
  }

  close(): void {
    this.httpAgent.destroy();
  }

  private async requestOptions(): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    // client-node refuses http:// servers unless TLS checks are off, after it has set the headers; plain
    // HTTP is for `kubectl proxy` and test doubles, so labhub brings its own agent for them.
    await this.config.applyToHTTPSOptions(options).catch((error: unknown) => {
      if (!this.plainHttp) throw error;
    });
    if (this.plainHttp) options.agent = this.httpAgent;
    return options;
  }

  private async send(method: string, path: string, body?: unknown, patchType?: PatchType, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const options = await this.requestOptions();
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...(options.headers as Record<string, string> | undefined),
      Accept: 'application/json',
      ...(payload !== undefined && { 'Content-Type': method === 'PATCH' ? patchContentTypes[patchType ?? 'merge'] : 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
    };
    const client = this.plainHttp ? http : https;
    return new Promise((resolve, reject) => {
      const request = client.request(url, { ...options, method, headers, ...(signal && { signal }) }, resolve);
      request.on('error', reject);
      request.end(payload);
    });
  }
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function errorOf(status: number, text: string): KubeApiError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string; details?: { causes?: { field?: string; message?: string }[] } };
    return new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? `HTTP ${status}`, body.details?.causes ?? []);
  } catch {
    return new KubeApiError(status, 'Unknown', `HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
