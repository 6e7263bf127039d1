import net from 'node:net';
import { Duplex } from 'node:stream';
import pty from 'node-pty';
import { RuntimeError, type MachineRef, type Runtime, type TermSize, type TerminalChannel } from '../../src/server/runtime/runtime.js';

/** TCP ports of bench/servers/source.ts: what the non-PTY machines connect to. */
export interface SourcePorts {
  /** Streams RFB-sized frames, then closes. */
  frames: number;
  /** Echoes every byte back. */
  echo: number;
  /** Writes a line of output at a steady rate, forever. */
  lines: number;
}

/**
 * The bench's stand-in for a runtime, so that the gateway is measured on its own: machine `pty`'s
 * terminal is /bin/sh under node-pty in this process (the same command wetty and the direct
 * reader run), `lines` and `idle` are TCP connections to the source process (as a Podman exec
 * session is a socket to the engine), and every desktop is a TCP connection to the source.
 * Everything else does nothing: the bench's instances exist only in the store.
 */
export class BenchRuntime implements Runtime {
  readonly name = 'local' as const;

  constructor(private readonly ports: SourcePorts) {}

  capabilities() {
    return { vm: false, pause: false, snapshot: false };
  }

  async apply(): Promise<void> {}
  async setPower(): Promise<void> {}
  async reset(): Promise<void> {}
  async destroy(): Promise<void> {}
  async *observe(signal: AbortSignal) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }
  async list() {
    return [];
  }

  async openTerminal(machine: MachineRef, size: TermSize): Promise<TerminalChannel> {
    if (machine.machine === 'pty') return ptyChannel(size);
    if (machine.machine === 'lines') return { stream: await connect(this.ports.lines), resize: async () => {} };
    if (machine.machine === 'idle') return { stream: await connect(this.ports.echo), resize: async () => {} };
    if (machine.machine === 'frames') return { stream: await connect(this.ports.frames), resize: async () => {} };
    throw new RuntimeError('not_found', `no bench terminal on ${machine.machine}`);
  }

  async openVnc(machine: MachineRef): Promise<Duplex> {
    return connect(machine.machine === 'echo' ? this.ports.echo : this.ports.frames);
  }

  async openPort(): Promise<Duplex> {
    throw new RuntimeError('unsupported', 'the bench runtime has no ports');
  }

  async exec(): Promise<never> {
    throw new RuntimeError('unsupported', 'the bench runtime cannot exec');
  }

  async close(): Promise<void> {}
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** /bin/sh under node-pty as a Duplex of raw bytes, with node-pty's pause/resume as backpressure. */
function ptyChannel(size: TermSize): TerminalChannel {
  const term = pty.spawn('/bin/sh', [], { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: '/tmp', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', PS1: '$ ' }, encoding: null });
  const stream = new Duplex({
    read: () => term.resume(),
    write: (chunk: Buffer, _encoding, callback) => {
      term.write(chunk);
      callback();
    },
    destroy: (error, callback) => {
      term.kill();
      callback(error);
    },
  });
  term.onData((data) => {
    if (!stream.push(data as unknown as Buffer)) term.pause();
  });
  term.onExit(() => stream.push(null));
  return { stream, resize: async ({ cols, rows }) => term.resize(cols, rows) };
}
