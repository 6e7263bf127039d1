import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { WebSocket } from 'ws';

/**
 * The streaming subresources over WebSocket, as the API server (and the kubelet, and KubeVirt's
 * virt-handler behind it) speaks them:
 * - `pods/exec`, subprotocols `v5.channel.k8s.io` / `v4.channel.k8s.io`: every binary message
 *   starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error: a Status JSON when the
 *   command ends, 4 resize: `{"Width":…,"Height":…}`); v5 adds 255 (client: `[255, 0]` closes stdin).
 * - `pods/portforward`, `v4.channel.k8s.io`: two channels per requested port (2i data, 2i+1
 *   error); the server's first message on each is the port, 2 bytes little-endian.
 * - KubeVirt `console`, `vnc` and `portforward/<port>`, subprotocol `plain.kubevirt.io`: raw bytes in binary messages.
 */

export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
export const portForwardProtocols = ['v4.channel.k8s.io'];
export const plainProtocols = ['plain.kubevirt.io'];

/** Docker's multiplexed stream of a non-TTY exec: frames of [stream, 0, 0, 0, length u32 BE] + payload. */
class Demux {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      this.onFrame(this.pending[0] ?? 1, Buffer.from(this.pending.subarray(8, 8 + length)));
      this.pending = this.pending.subarray(8 + length);
    }
  }
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function execRequest(url: URL): ExecRequest {
  const flag = (name: string) => ['true', '1'].includes(url.searchParams.get(name) ?? '');
  return { command: url.searchParams.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
}

/** Runs the exec (already created in the engine) over the accepted WebSocket. */
export async function serveExec(ws: WebSocket, docker: Docker, containerName: string, request: ExecRequest): Promise<void> {
  // Messages that arrive while the engine starts the command wait for it (a client may type at once).
  const early: Buffer[] = [];
  const keep = (data: Buffer) => early.push(data);
  ws.on('message', keep);
  let closedEarly = false;
  ws.once('close', () => (closedEarly = true));
  const exec = await docker.getContainer(containerName).exec({
    Cmd: request.command,
    AttachStdin: request.stdin,
    AttachStdout: request.stdout,
    AttachStderr: request.stderr,
    Tty: request.tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: request.stdin, Tty: request.tty })) as Duplex;
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN && data.length > 0) ws.send(frame(channel, data));
  };
  const demux = new Demux((type, payload) => send(type === 2 ? 2 : 1, payload));
  stream.on('data', (chunk: Buffer) => (request.tty ? send(1, chunk) : demux.push(chunk)));
  let running: Promise<void> | undefined;
  const waitRunning = async () => {
    running ??= (async () => {
      for (let attempt = 0; attempt < 50 && !(await exec.inspect()).Running; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    })();
    await running;
  };
  const onMessage = (message: Buffer) => {
    if (message.length === 0) return;
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel === 0 && request.stdin) stream.write(payload);
    else if (channel === 4 && request.tty) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        if (size.Width && size.Height) {
          void waitRunning()
            .then(() => exec.resize({ w: size.Width ?? 80, h: size.Height ?? 24 }))
            .catch(() => {
              // Podman answers a successful resize with 201, which dockerode reports as an error.
            });
        }
      } catch {
        // A resize message that is not JSON is dropped, as the kubelet drops it.
      }
    } else if (channel === 255 && ws.protocol === 'v5.channel.k8s.io' && payload[0] === 0) {
      stream.end();
    }
  };
  ws.off('message', keep);
  ws.on('message', onMessage);
  early.forEach(onMessage);
  if (closedEarly) stream.destroy();
  ws.on('close', () => stream.destroy());
  stream.on('error', () => {});
  stream.on('close', () => {
    void exec
      .inspect()
      .then((info) => {
        const code = info.ExitCode ?? 0;
        const status =
          code === 0
            ? { metadata: {}, status: 'Success' }
            : {
                metadata: {},
                status: 'Failure',
                message: `command terminated with non-zero exit code: error executing command [${request.command.join(' ')}], exit code ${code}`,
                reason: 'NonZeroExitCode',
                details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
              };
        if (ws.readyState === ws.OPEN) ws.send(frame(3, JSON.stringify(status)));
      })
      .catch(() => {})
      .finally(() => ws.close(1000));
  });
}

/** The requested ports of a port-forward (`?ports=80,443` or repeated), or a reason to refuse. */
export function forwardedPorts(url: URL): number[] | string {
  const ports = url.searchParams
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  if (ports.length === 0) return 'query parameter "port" is required';
  const numbers = ports.map(Number);
  const bad = numbers.find((port) => !Number.isInteger(port) || port < 1 || port > 65535);
  if (bad !== undefined) return `invalid port "${String(bad)}"`;
  return numbers;
}

export function servePortForward(ws: WebSocket, ports: number[], connect: (port: number) => Promise<Duplex>, describe: string): void {
  const sockets = new Map<number, Duplex>();
  // Data for a port whose connection is still being made waits for it.
  const waiting = new Map<number, Buffer[]>(ports.map((_, index) => [index, []]));
  const send = (channel: number, data: Buffer | string) => ws.readyState === ws.OPEN && ws.send(frame(channel, data));
  ports.forEach((port, index) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    send(index * 2, prefix);
    send(index * 2 + 1, prefix);
    connect(port).then(
      (socket) => {
        if (ws.readyState !== ws.OPEN) return socket.destroy();
        sockets.set(index, socket);
        for (const data of waiting.get(index) ?? []) socket.write(data);
        waiting.delete(index);
        socket.on('data', (chunk: Buffer) => send(index * 2, chunk));
        socket.on('error', () => {});
        socket.on('close', () => ws.close(1000));
      },
      (error: unknown) => {
        send(index * 2 + 1, `error forwarding port ${port} to ${describe}: ${(error as Error).message}`);
        ws.close(1000);
      },
    );
  });
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0] ?? 0;
    if (channel % 2 !== 0) return;
    const socket = sockets.get(channel / 2);
    if (socket) socket.write(data.subarray(1));
    else waiting.get(channel / 2)?.push(Buffer.from(data.subarray(1)));
  });
  ws.on('close', () => sockets.forEach((socket) => socket.destroy()));
}

/** A raw byte stream over `plain.kubevirt.io`: console, vnc, a VMI's port. */
export function servePlain(ws: WebSocket, stream: Duplex): void {
  stream.on('data', (chunk: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  });
  stream.on('error', () => {});
  stream.on('close', () => ws.close(1000));
  ws.on('message', (data: Buffer) => stream.write(data));
  ws.on('close', () => stream.destroy());
}

/** Bearer token of a request: the Authorization header, or the subprotocol browsers use (`base64url.bearer.authorization.k8s.io.<token>`). */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const carried = protocols.find((p) => p.startsWith('base64url.bearer.authorization.k8s.io.'));
  return carried ? Buffer.from(carried.slice('base64url.bearer.authorization.k8s.io.'.length), 'base64url').toString('utf8') : undefined;
}

