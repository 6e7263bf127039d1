/**
 * The gateway's WebSockets (docs/architecture.md §8): one per machine and channel, on this origin, with the
 * session cookie the browser sends by itself. Nothing secret ever goes into their URLs.
 */

export type MachineChannel = 'terminal' | 'vnc';

const machinePath = (instanceId: string, machine: string) => `/api/instances/${encodeURIComponent(instanceId)}/machines/${encodeURIComponent(machine)}`;

/** `ws(s)://<this origin>/api/instances/:id/machines/:machine/<channel>`. */
export function machineSocketUrl(instanceId: string, machine: string, channel: MachineChannel): string {
  const url = new URL(`${machinePath(instanceId, machine)}/${channel}`, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * The part of a WebSocket the terminal and desktop use. A browser WebSocket is one; tests and
 * other transports can hand in anything else with this shape.
 */
export interface MachineSocket {
  binaryType: BinaryType;
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

/** Opens one connection; called again for every reconnect. */
export type MachineSocketFactory = () => MachineSocket;

export const socketState = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/** The gateway's socket for one machine and channel, receiving binary frames as ArrayBuffers. */
export function gatewaySocket(instanceId: string, machine: string, channel: MachineChannel): () => WebSocket {
  return () => {
    const socket = new WebSocket(machineSocketUrl(instanceId, machine, channel));
    socket.binaryType = 'arraybuffer';
    return socket;
  };
}

/**
 * Closes a socket we no longer want. One still connecting is closed once it opens: closing it
 * earlier makes Chromium log "closed before the connection is established" as an error.
 */
export function closeSocket(socket: MachineSocket): void {
  socket.onmessage = null;
  if (socket.readyState === socketState.connecting) {
    socket.onopen = () => socket.close(1000);
    socket.onerror = null;
  } else if (socket.readyState === socketState.open) {
    socket.close(1000);
  }
}
