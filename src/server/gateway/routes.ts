import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { InstanceAccess } from '../../common/instances.js';
import { LabhubError } from '../errors.js';
import { currentUser } from '../http/access.js';
import { assertUpgradeOrigin } from '../http/origin.js';
import type { InstanceService } from '../instances/instance-service.js';
import { RuntimeError, type MachineRef, type Runtime } from '../runtime/runtime.js';
import type { Services } from '../services.js';
import type { ActivityTracker } from './activity.js';
import { closeCodes, relay } from './relay.js';
import { RfbViewOnlyFilter } from './rfb-view-only.js';
import type { TerminalSessions } from './terminal-sessions.js';
import { labOf } from '../instances/snapshot.js';


const keepaliveMs = 30_000;

interface MachineParams {
  id: string;
  machine: string;
}

export interface GatewayDeps {
  services: Services;
  instances: InstanceService;
  runtime: Runtime;
  terminals: TerminalSessions;
  activity: ActivityTracker;
}

/**
 * The gateway's WebSocket endpoints. Everything is decided before the upgrade (session cookie,
 * exact Origin, who may see the instance, what the machine offers), so a refused upgrade is an
 * HTTP error and opens no backend stream.
 */
export async function gatewayRoutes(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const { services, instances, runtime, terminals, activity } = deps;

  // What the upgrade was allowed, for the handler: watchers get the screen without input.
  const granted = new WeakMap<FastifyRequest, InstanceAccess>();

  const authorize = (kind: 'terminal' | 'desktop') => async (request: FastifyRequest) => {
    assertUpgradeOrigin(request, services.config.publicUrl);
    const { id, machine } = request.params as MachineParams;
    const { row, access } = await instances.authorize(id, currentUser(request), 'watch');
    const lab = labOf(row);
    const offered = lab.machines.find((m) => m.name === machine)?.access.includes(kind);
    if (!offered) throw new LabhubError('LABHUB_NOT_FOUND', `Machine "${machine}" has no ${kind} in this instance.`);
    granted.set(request, access);
  };

  /** Records the open (audit) and tracks the socket, so that losing the right to it closes it. */
  const opened = async (request: FastifyRequest, ws: WebSocket, kind: 'terminal' | 'desktop'): Promise<{ ref: MachineRef; canWrite: boolean }> => {
    const { id, machine } = request.params as MachineParams;
    const user = currentUser(request);
    const access = granted.get(request) ?? 'view';
    services.connections.track({ ws, sessionToken: request.sessionToken ?? '', userId: user.id, instanceId: id, access });
    await services.audit.record({ actor: user.username, action: `${kind}.open`, target: `${id}/${machine}`, ip: request.ip, detail: { access } });
    return { ref: { instanceId: id, machine }, canWrite: access !== 'view' };
  };

  app.get<{ Params: MachineParams }>(
    '/api/instances/:id/machines/:machine/terminal',
    { websocket: true, config: { access: 'user' }, preValidation: authorize('terminal') },
    async (ws: WebSocket, request) => {
      // Keystrokes and the first resize sent while the terminal is being opened wait in the socket until it is attached.
      ws.pause();
      const { ref, canWrite } = await opened(request, ws, 'terminal');
      const disconnected = activity.connected(ref.instanceId);
      ws.on('close', disconnected);
      keepAlive(ws);
      try {
        await terminals.attach(ref, ws, { canWrite, onInput: () => activity.input(ref.instanceId) });
        ws.resume();
      } catch (error) {
        closeForError(ws, error, request);
      }
    },
  );

  app.get<{ Params: MachineParams }>(
    '/api/instances/:id/machines/:machine/vnc',
    { websocket: true, config: { access: 'user' }, preValidation: authorize('desktop') },
    async (ws: WebSocket, request) => {
      // Input that arrives while the backend is being opened waits in the socket.
      ws.pause();
      const { ref, canWrite } = await opened(request, ws, 'desktop');
      const disconnected = activity.connected(ref.instanceId);
      ws.on('close', disconnected);
      keepAlive(ws);
      try {
        const backend = await runtime.openVnc(ref);
        if (ws.readyState !== ws.OPEN) return void backend.destroy();
        if (canWrite) relay(ws, backend, { onInput: () => activity.input(ref.instanceId) });
        else {
          const viewOnly = new RfbViewOnlyFilter();
          relay(ws, backend, { filterInput: (chunk) => viewOnly.filter(chunk) });
        }
        ws.resume();
      } catch (error) {
        closeForError(ws, error, request);
      }
    },
  );
}

function closeForError(ws: WebSocket, error: unknown, request: FastifyRequest): void {
  if (error instanceof RuntimeError && (error.kind === 'not_running' || error.kind === 'not_found')) {
    ws.close(error.kind === 'not_found' ? closeCodes.notFound : closeCodes.notRunning, truncateReason(error.message));
    return;
  }
  request.log.error({ err: error }, 'gateway connection failed');
  ws.close(closeCodes.error, 'could not connect to the machine');
}

/** A close reason must fit in a control frame (123 bytes). */
function truncateReason(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : `${reason.slice(0, 110)}…`;
}

/** Pings idle connections so proxies keep them open, and drops peers that stopped answering. */
function keepAlive(ws: WebSocket): void {
  let alive = true;
  ws.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    if (!alive) return void ws.terminate();
    alive = false;
    ws.ping();
  }, keepaliveMs);
  timer.unref();
  ws.on('close', () => clearInterval(timer));
}
