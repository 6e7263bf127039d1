import { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { OpenedSocket } from './kube-api.js';

/** The channels of Kubernetes' remote command protocol (`v4.channel.k8s.io`, `v5.channel.k8s.io`). */
const channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** How a remote command ended, from its status channel. */
export interface ExecStatus {
  /** -1 when the connection ended without a status. */
  exitCode: number;
  message?: string;
}

/** A WebSocket as a Duplex of raw bytes; `frame` wraps outgoing bytes, `onMessage` unwraps incoming ones. */
class SocketDuplex extends Duplex {
  constructor(
    private readonly socket: WebSocket,
    private readonly frame: (chunk: Buffer) => Buffer,
  ) {
    super();
    socket.on('close', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.socket.resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.readyState !== this.socket.OPEN) return callback(new Error('the connection is closed'));
    this.socket.send(this.frame(chunk), { binary: true }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close();
    callback(error);
  }

  /** Pushes incoming bytes, pausing the socket while the reader is behind (backpressure). */
  deliver(bytes: Buffer): void {
    if (!this.push(bytes)) this.socket.pause?.();
  }
}

/**
 * A remote command (`pods/exec`) as a byte stream: writes go to stdin, stdout and stderr come
 * out interleaved, `exit` resolves with the status channel's verdict. `resize` sends the window
 * size on channel 4.
 */
export function execStream({ socket, release }: OpenedSocket): { stream: Duplex; resize(cols: number, rows: number): void; exit: Promise<ExecStatus> } {
  const stream = new SocketDuplex(socket, (chunk) => Buffer.concat([Buffer.from([channel.stdin]), chunk]));
  let settle!: (status: ExecStatus) => void;
  const exit = new Promise<ExecStatus>((resolve) => (settle = resolve));
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    const bytes = isBinary ? data : Buffer.from(data);
    if (bytes.length === 0) return;
    const from = bytes[0];
    const payload = bytes.subarray(1);
    if (from === channel.stdout || from === channel.stderr) stream.deliver(payload);
    else if (from === channel.status) settle(statusOf(payload.toString('utf8')));
  });
  socket.on('close', () => settle({ exitCode: -1, message: 'the connection ended without an exit status' }));
  release();
  return {
    stream,
    resize(cols, rows) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(Buffer.concat([Buffer.from([channel.resize]), Buffer.from(JSON.stringify({ Width: cols, Height: rows }))]), { binary: true });
    },
    exit,
  };
}

/** The exit code in a remote command's Status: Success is 0, NonZeroExitCode carries it in a cause. */
export function statusOf(text: string): ExecStatus {
  try {
    const status = JSON.parse(text) as { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (status.status === 'Success') return { exitCode: 0 };
    const code = status.details?.causes?.find((cause) => cause.reason === 'ExitCode')?.message;
    return { exitCode: code !== undefined && /^\d+$/.test(code) ? Number(code) : -1, ...(status.message && { message: status.message }) };
  } catch {
    return { exitCode: -1, message: text };
  }
}

/**
 * One forwarded port (`pods/portforward`, `v4.channel.k8s.io`): channel 0 carries data, channel 1
 * errors; the first frame of each channel only names the port (2 bytes, little-endian).
 */
export function portForwardStream({ socket, release }: OpenedSocket): Duplex {
  const stream = new SocketDuplex(socket, (chunk) => Buffer.concat([Buffer.from([0]), chunk]));
  const prefixSeen = new Set<number>();
  socket.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const from = data[0] ?? 0;
    let payload = data.subarray(1);
    if (!prefixSeen.has(from)) {
      prefixSeen.add(from);
      payload = payload.subarray(2);
    }
    if (payload.length === 0) return;
    if (from === 0) stream.deliver(payload);
    else if (from === 1) stream.destroy(new Error(`port forwarding failed: ${payload.toString('utf8')}`));
  });
  release();
  return stream;
}

/** KubeVirt's console, vnc and portforward subresources (`plain.kubevirt.io`): raw bytes in binary frames. */
export function rawStream({ socket, release }: OpenedSocket): Duplex {
  const stream = new SocketDuplex(socket, (chunk) => chunk);
  socket.on('message', (data: Buffer, isBinary: boolean) => stream.deliver(isBinary ? data : Buffer.from(data)));
  release();
  return stream;
}
