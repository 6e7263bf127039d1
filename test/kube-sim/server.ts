import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, totalmem } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiServer, parseFieldSelector, parseLabelSelector } from './api.js';
import { Controllers } from './controllers.js';
import { ApiError, apiVersionOf, badRequest, findResource, notFound, resourceOfKind, resourceTypes, type KubeObject, type ResourceType } from './resources.js';
import { ObjectStore, type StoreEvent } from './store.js';
import { bearerToken, execProtocols, execRequest, forwardedPorts, plainProtocols, portForwardProtocols, serveExec, servePlain, servePortForward } from './streams.js';
import { loadSchemas } from './validation.js';
import { Workloads } from './workloads.js';

export interface KubeSimOptions {
  /** The bearer token clients must send; a random one when absent. */
  token?: string;
  /** Where VM disk images are (`<dataDir>/images/`, as for the local runtime) and kube-sim keeps its files (`<dataDir>/kube-sim/`). */
  dataDir: string;
  /** The Docker-compatible engine API socket (Podman's), started when nothing answers. */
  engineSocket: string;
}

export interface KubeSim {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly token: string;
  /** A kubeconfig (YAML) for this server: cluster, user with the token, context `kube-sim` (namespace `default`). */
  kubeconfig(): string;
  /** Forgets the watch history, like etcd compaction: watches from any earlier resourceVersion get 410 Gone. */
  compact(): void;
  /** Stops serving, stops the controllers and removes every container, network and file this server made. */
  close(): Promise<void>;
}

const maxBodyBytes = 3 * 1024 * 1024;
/** The node every workload runs on (Pods' spec.nodeName, VMIs' status.nodeName). */
const nodeName = 'kube-sim';
const nodeUid = randomUUID();
const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Starts kube-sim on 127.0.0.1 with a random port. See README.md for what it is and is not. */
export async function startKubeSim(options: KubeSimOptions): Promise<KubeSim> {
  await loadSchemas();
  const token = options.token ?? randomBytes(24).toString('base64url');
  const store = new ObjectStore();
  const api = new ApiServer(store);
  const workloads = new Workloads(options.engineSocket, options.dataDir, randomBytes(3).toString('hex'));
  const controllers = new Controllers(api, workloads);
  for (const name of ['default', 'kube-system', 'kube-public']) api.create(resourceOfKind('Namespace'), undefined, { metadata: { name } });
  controllers.start();
  const watches = new Set<ServerResponse>();
  const sockets = new Set<WebSocket>();
  const handler = new RestHandler(api, controllers, watches, workloads);
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered, request) => chooseProtocol(offered, (request as IncomingMessage & { allowed?: string[] }).allowed ?? []) });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  });

  const server = createServer((request, response) => {
    if (bearerToken(request) !== token) return sendStatus(response, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    handler.handle(request, response).catch((error: unknown) => sendStatus(response, asApiError(error)));
  });
  server.on('upgrade', (request: IncomingMessage & { allowed?: string[] }, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refuse = (error: ApiError) => {
      const body = JSON.stringify(error.toStatus());
      socket.end(`HTTP/1.1 ${error.code} ${httpReason(error.code)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (bearerToken(request) !== token) return refuse(new ApiError(401, 'Unauthorized', 'Unauthorized'));
    openStream(request, api, workloads)
      .then(({ allowed, serve }) => {
        request.allowed = allowed;
        const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
        if (!offered.some((protocol) => allowed.includes(protocol))) {
          return refuse(badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${allowed.join(' ')}]`));
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          wss.emit('connection', ws, request);
          serve(ws).catch(() => ws.close(1011));
        });
      })
      .catch((error: unknown) => refuse(asApiError(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    kubeconfig: () =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: kube-sim',
        '  cluster:',
        `    server: ${url}`,
        'users:',
        '- name: kube-sim',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: kube-sim',
        '  context:',
        '    cluster: kube-sim',
        '    user: kube-sim',
        '    namespace: default',
        'current-context: kube-sim',
        '',
      ].join('\n'),
    compact: () => store.compact(),
    async close() {
      for (const response of watches) response.end();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await controllers.stop();
      await workloads.removeAll();
    },
  };
}

function chooseProtocol(offered: Set<string>, allowed: string[]): string | false {
  for (const protocol of offered) if (allowed.includes(protocol)) return protocol;
  return false;
}

function httpReason(code: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error' } as Record<number, string>)[code] ?? 'Error';
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message ?? String(error)}`);
}

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  if (response.headersSent) return void response.end();
  const text = JSON.stringify(body);
  response.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function sendStatus(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.code, error.toStatus());
}

/** Where a request points: the resource, namespace, name and subresource (`status`, `exec`, `console`, …). */
interface Target {
  resource: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** Path segments after the subresource (`portforward/8080/tcp`). */
  rest: string[];
}

function parsePath(pathname: string): Target | 'discovery' | undefined {
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    [group, version, rest] = ['', segments[1] ?? '', segments.slice(2)];
  } else if (segments[0] === 'apis') {
    [group, version, rest] = [segments[1] ?? '', segments[2] ?? '', segments.slice(3)];
  } else return undefined;
  if (rest.length === 0) return 'discovery';
  // KubeVirt's subresources live in their own group, on the kubevirt.io kinds.
  const kindGroup = group === 'subresources.kubevirt.io' ? 'kubevirt.io' : group;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && findResource(kindGroup, version, rest[2] ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = findResource(kindGroup, version, rest[0] ?? '');
  if (!resource) return undefined;
  if (group === 'subresources.kubevirt.io' && !rest[2]) return undefined;
  return { resource, namespace, name: rest[1], subresource: rest[2], rest: rest.slice(3) };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`the request body is not JSON: ${(error as Error).message}`);
  }
}

/** The REST half: discovery, CRUD, list, watch, status, and the non-streaming KubeVirt subresources. */
class RestHandler {
  constructor(
    private readonly api: ApiServer,
    private readonly controllers: Controllers,
    private readonly watches: Set<ServerResponse>,
    private readonly workloads: Workloads,
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://kube-sim');
    const method = request.method ?? 'GET';
    if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) return void response.end('ok');
    if (url.pathname === '/version') return sendJson(response, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-kube-sim', platform: 'linux/amd64' });
    if (url.pathname === '/api' || url.pathname === '/api/') return sendJson(response, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (url.pathname === '/apis' || url.pathname === '/apis/') return sendJson(response, 200, apiGroups());
    const node = /^\/api\/v1\/nodes(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (node) return this.nodes(method, node[1] === undefined ? undefined : decodeURIComponent(node[1]), response);
    const target = parsePath(url.pathname);
    if (target === 'discovery') return sendJson(response, 200, resourceList(url.pathname));
    if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { resource, namespace, name, subresource } = target;
    if (resource.namespaced && namespace === undefined && name !== undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const dryRun = url.searchParams.get('dryRun') === 'All';
    if (subresource && subresource !== 'status') return this.kubevirtAction(method, target, request, response);
    if (name === undefined) {
      if (method === 'GET') return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' ? this.watch(url, resource, namespace, request, response) : sendJson(response, 200, this.list(url, resource, namespace));
      if (method === 'POST') return sendJson(response, 201, this.api.create(resource, namespace, await readBody(request), dryRun));
      if (method === 'DELETE') {
        for (const object of this.list(url, resource, namespace).items) this.api.delete(resource, object.metadata.namespace, object.metadata.name ?? '', { dryRun });
        return sendJson(response, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    const status = subresource === 'status';
    switch (method) {
      case 'GET':
        return sendJson(response, 200, this.api.store.mustGet(resource, namespace, name));
      case 'PUT':
        return sendJson(response, 200, this.api.replace(resource, namespace, name, await readBody(request), { status, dryRun }));
      case 'PATCH':
        return sendJson(response, 200, this.api.patch(resource, namespace, name, request.headers['content-type'] ?? '', await readBody(request), { status, dryRun }));
      case 'DELETE': {
        const body = (await readBody(request)) as { gracePeriodSeconds?: number } | undefined;
        const grace = url.searchParams.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
        const deleted = this.api.delete(resource, namespace, name, { dryRun, ...(grace !== undefined && grace !== null && { gracePeriodSeconds: Number(grace) }) });
        return sendJson(response, 200, deleted);
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  /**
   * The one node, `kube-sim` (read-only): every Pod and VMI runs there. Like a node with KubeVirt's
   * device plugin it advertises `devices.kubevirt.io/kvm`, non-zero only when VMs get KVM here.
   */
  private async nodes(method: string, name: string | undefined, response: ServerResponse): Promise<void> {
    if (method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'kube-sim serves nodes read-only');
    if (name !== undefined && name !== nodeName) throw notFound({ ...resourceOfKind('Namespace'), plural: 'nodes' }, name);
    const accel = await this.workloads.acceleration().catch(() => undefined);
    const resources = { cpu: String(availableParallelism()), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110', 'devices.kubevirt.io/kvm': accel === 'kvm' ? '1k' : '0' };
    const object = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName, uid: nodeUid, resourceVersion: '1', creationTimestamp: startedAt, labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubevirt.io/schedulable': 'true' } },
      spec: {},
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kube-sim is ready', lastHeartbeatTime: startedAt, lastTransitionTime: startedAt }],
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: nodeName },
        ],
        nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.31.0-kube-sim', containerRuntimeVersion: 'podman' },
      },
    };
    if (name !== undefined) return sendJson(response, 200, object);
    const { apiVersion: _apiVersion, kind: _kind, ...item } = object;
    sendJson(response, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(this.api.store.resourceVersion) }, items: [item] });
  }

  private list(url: URL, resource: ResourceType, namespace: string | undefined): { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: KubeObject[] } {
    const matches = this.matcher(url);
    const items = this.api.store
      .list(resource, namespace)
      .filter(matches)
      .map((object) => (resource.custom ? object : stripTypeMeta(object)));
    return { kind: `${resource.kind}List`, apiVersion: apiVersionOf(resource), metadata: { resourceVersion: String(this.api.store.resourceVersion) }, items };
  }

  private matcher(url: URL): (object: KubeObject) => boolean {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '');
    return (object) => labels(object.metadata.labels ?? {}) && fields(object);
  }

  private watch(url: URL, resource: ResourceType, namespace: string | undefined, request: IncomingMessage, response: ServerResponse): void {
    const matches = this.matcher(url);
    const inScope = (object: KubeObject) => namespace === undefined || object.metadata.namespace === namespace;
    const write = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
    const forward = (event: StoreEvent) => {
      if (event.resource !== resource || !inScope(event.object)) return;
      const now = matches(event.object);
      const before = event.previous ? matches(event.previous) : false;
      if (event.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', event.object);
        else if (now) write('ADDED', event.object);
        else if (before) write('DELETED', event.object);
      } else if (now) write(event.type, event.object);
    };
    const from = url.searchParams.get('resourceVersion') ?? '';
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    if (from === '' || from === '0') {
      for (const object of this.api.store.list(resource, namespace)) if (matches(object)) write('ADDED', object);
    } else {
      const version = Number(from);
      const events = Number.isInteger(version) ? this.api.store.eventsSince(version) : 'gone';
      if (events === 'gone') {
        write('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.api.store.resourceVersion})`, reason: 'Expired', code: 410 });
        return void response.end();
      }
      events.forEach(forward);
    }
    const unsubscribe = this.api.store.subscribe(forward);
    this.watches.add(response);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => response.end(), timeout * 1000) : undefined;
    const stop = () => {
      unsubscribe();
      this.watches.delete(response);
      if (timer) clearTimeout(timer);
    };
    request.on('close', stop);
    response.on('close', stop);
  }

  /** KubeVirt's PUT subresources: pause/unpause of a VMI, start/stop/restart of a VM. Answered as virt-api does: no body. */
  private async kubevirtAction(method: string, target: Target, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { resource, namespace, name = '', subresource = '' } = target;
    if (method !== 'PUT') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    await readBody(request);
    const conflict = (message: string) => new ApiError(409, 'Conflict', message);
    if (resource.kind === 'VirtualMachineInstance' && (subresource === 'pause' || subresource === 'unpause')) {
      const vmi = this.api.store.mustGet(resource, namespace, name);
      const status = (vmi.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
      const paused = (status.conditions ?? []).some((c) => c.type === 'Paused' && c.status === 'True');
      if (status.phase !== 'Running' || vmi.metadata.deletionTimestamp) throw conflict('VMI is not running');
      if (subresource === 'pause' && paused) throw conflict('VMI is already paused');
      if (subresource === 'unpause' && !paused) throw conflict('VMI is not paused');
      await this.controllers.setPaused(vmi, subresource === 'pause');
      response.writeHead(200).end();
      return;
    }
    if (resource.kind === 'VirtualMachine' && ['start', 'stop', 'restart'].includes(subresource)) {
      const vm = this.api.store.mustGet(resource, namespace, name);
      const spec = (vm.spec ?? {}) as { runStrategy?: string; running?: boolean };
      const strategy = spec.runStrategy ?? (spec.running ? 'Always' : 'Halted');
      const vmiType = resourceOfKind('VirtualMachineInstance');
      const vmi = this.api.store.get(vmiType, namespace, name);
      const vmiRunning = Boolean(vmi && !vmi.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes((vmi.status as { phase?: string } | undefined)?.phase ?? ''));
      const setStrategy = (next: 'Always' | 'Halted') =>
        this.api.patch(resource, namespace, name, 'application/merge-patch+json', { spec: spec.runStrategy !== undefined ? { runStrategy: next } : { running: next === 'Always' } });
      const request = (...actions: string[]) =>
        this.api.store.update(resource, { ...vm, status: { ...(vm.status ?? {}), stateChangeRequests: actions.map((action) => ({ action })) } });
      if (subresource === 'start') {
        if (vmiRunning) throw conflict('VM is already running');
        if (strategy === 'Halted') setStrategy('Always');
        else request('Start');
      } else if (subresource === 'stop') {
        if (!vmiRunning && strategy === 'Halted') throw conflict('VM is not running');
        if (strategy === 'Manual') request('Stop');
        else setStrategy('Halted');
      } else {
        if (!vmiRunning) throw conflict('VM is not running');
        this.api.delete(vmiType, namespace, name);
        if (strategy === 'Manual') request('Start');
      }
      response.writeHead(202).end();
      return;
    }
    throw notFound(resource, `${name}/${subresource}`);
  }
}

function stripTypeMeta(object: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest as KubeObject;
}

function apiGroups(): unknown {
  const groups = new Map<string, string>();
  for (const type of resourceTypes) if (type.group) groups.set(type.group, type.version);
  groups.set('subresources.kubevirt.io', 'v1');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
  };
}

function resourceList(pathname: string): unknown {
  const segments = pathname.split('/').filter(Boolean);
  const [group, version] = segments[0] === 'api' ? ['', segments[1] ?? ''] : [segments[1] ?? '', segments[2] ?? ''];
  const groupVersion = group ? `${group}/${version}` : version;
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const resources: unknown[] = [];
  if (group === 'subresources.kubevirt.io') {
    for (const sub of ['console', 'vnc', 'pause', 'unpause', 'portforward']) resources.push({ name: `virtualmachineinstances/${sub}`, singularName: '', namespaced: true, kind: 'VirtualMachineInstance', verbs: ['get', 'update'] });
    for (const sub of ['start', 'stop', 'restart']) resources.push({ name: `virtualmachines/${sub}`, singularName: '', namespaced: true, kind: 'VirtualMachine', verbs: ['update'] });
  }
  if (group === '' && version === 'v1') resources.push({ name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list'] });
  for (const type of resourceTypes.filter((t) => t.group === group && t.version === version)) {
    resources.push({ name: type.plural, singularName: type.kind.toLowerCase(), namespaced: type.namespaced, kind: type.kind, verbs, ...(type.shortNames && { shortNames: type.shortNames }) });
    if (type.statusSubresource) resources.push({ name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: ['get', 'patch', 'update'] });
    if (type.kind === 'Pod') for (const sub of ['exec', 'portforward']) resources.push({ name: `pods/${sub}`, singularName: '', namespaced: true, kind: sub === 'exec' ? 'PodExecOptions' : 'PodPortForwardOptions', verbs: ['create', 'get'] });
  }
  if (resources.length === 0) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/**
 * A WebSocket request: which subprotocols it may speak and how it is served, decided before the
 * handshake so that refusals are plain HTTP answers with a Status (as the API server's are).
 */
async function openStream(
  request: IncomingMessage,
  api: ApiServer,
  workloads: Workloads,
): Promise<{ allowed: string[]; serve: (ws: WebSocket) => Promise<void> }> {
  const url = new URL(request.url ?? '/', 'http://kube-sim');
  const target = parsePath(url.pathname);
  if (!target || target === 'discovery' || !target.name || !target.subresource) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const { resource, namespace, name, subresource } = target;
  const object = api.store.mustGet(resource, namespace, name);
  const ns = namespace ?? '';
  if (resource.kind === 'Pod' && (subresource === 'exec' || subresource === 'portforward' || subresource === 'attach')) {
    if (subresource === 'attach') throw badRequest('kube-sim does not serve pods/attach');
    const containers = ((object.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
    const container = url.searchParams.get('container');
    if (subresource === 'exec') {
      if (!container && containers.length > 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
      if (container && container !== containers[0]) throw badRequest(`kube-sim runs only the first container of a Pod (${containers[0]}); "${container}" is not running`);
    }
    const state = await workloads.state(ns, name);
    if (!state?.running || (object.status as { phase?: string } | undefined)?.phase !== 'Running') throw badRequest(`unable to upgrade connection: container not found ("${containers[0] ?? ''}")`);
    if (subresource === 'exec') {
      const exec = execRequest(url);
      if (exec.command.length === 0) throw badRequest('you must specify at least 1 command');
      if (!exec.stdin && !exec.stdout && !exec.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
      const docker = await workloads.docker();
      return { allowed: execProtocols, serve: (ws) => serveExec(ws, docker, workloads.containerName(ns, name), exec) };
    }
    const ports = forwardedPorts(url);
    if (typeof ports === 'string') throw badRequest(ports);
    return {
      allowed: portForwardProtocols,
      serve: async (ws) => servePortForward(ws, ports, (port) => workloads.connect(ns, name, { tcp: { host: '127.0.0.1', port } }), `pod ${ns}/${name}`),
    };
  }
  if (resource.kind === 'VirtualMachineInstance' && ['console', 'vnc', 'portforward'].includes(subresource)) {
    const status = (object.status ?? {}) as { phase?: string; interfaces?: { ipAddress?: string }[] };
    if (status.phase !== 'Running' || !(await workloads.state(ns, name))?.running) {
      throw new ApiError(400, 'BadRequest', `Unable to connect to VM because phase is ${status.phase ?? 'Pending'} instead of Running`);
    }
    if (subresource === 'portforward') {
      const port = Number(target.rest[0]);
      const protocol = target.rest[1] ?? 'tcp';
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw badRequest(`invalid port "${target.rest[0] ?? ''}"`);
      if (protocol !== 'tcp') throw badRequest(`kube-sim forwards tcp only, not ${protocol}`);
      const address = status.interfaces?.[0]?.ipAddress;
      if (!address) throw badRequest('the VMI has no address yet');
      const stream = await workloads.connect(ns, name, { tcp: { host: address, port } });
      return { allowed: plainProtocols, serve: async (ws) => servePlain(ws, stream) };
    }
    const stream = subresource === 'console' ? await workloads.serial(ns, name) : await workloads.vnc(ns, name);
    return { allowed: plainProtocols, serve: async (ws) => servePlain(ws, stream) };
  }
  throw notFound(resource, `${name}/${subresource}`);
}

