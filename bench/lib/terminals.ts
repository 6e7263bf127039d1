import pty from 'node-pty';
import { io } from 'socket.io-client';
import { openSocket, type Labhub } from './labhub.js';
import { now, sleep, within } from './stats.js';

/** A terminal as a client sees it, whatever carries it: bytes in, bytes or text out. */
export interface TerminalClient {
  type(text: string): void;
  /** Replaces the output listener. Chunks are Buffers, or strings where the transport decodes (wetty). */
  onOutput(listener: (chunk: Buffer | string) => void): void;
  close(): void;
}

/** /bin/sh under node-pty in this process: the limit. */
export async function directTerminal(): Promise<TerminalClient> {
  const term = pty.spawn('/bin/sh', [], { name: 'xterm-256color', cols: 80, rows: 24, cwd: '/tmp', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', PS1: '$ ' }, encoding: null });
  let listener: (chunk: Buffer | string) => void = () => {};
  term.onData((data) => listener(data as unknown as Buffer));
  const client: TerminalClient = { type: (text) => term.write(text), onOutput: (l) => (listener = l), close: () => term.kill() };
  await firstOutput(client);
  return client;
}

/** A viewer of a terminal through labhub's gateway WebSocket. */
export async function gatewayTerminal(labhub: Labhub, instanceId: string, machine: string): Promise<TerminalClient> {
  const ws = await openSocket(labhub.wsUrl(instanceId, machine, 'terminal'), { cookie: labhub.cookie, origin: labhub.url });
  let listener: (chunk: Buffer | string) => void = () => {};
  ws.on('message', (data: Buffer) => listener(data));
  const client: TerminalClient = { type: (text) => ws.send(Buffer.from(text)), onOutput: (l) => (listener = l), close: () => ws.close() };
  await firstOutput(client);
  return client;
}

/**
 * A wetty 3 client: socket.io over a WebSocket, output as 'data' strings, keystrokes as 'input',
 * and the flow control wetty's own browser client does (a 'commit' every 256 KiB taken in).
 */
export async function wettyTerminal(port: number): Promise<TerminalClient> {
  const socket = io(`http://127.0.0.1:${port}`, { path: '/wetty/socket.io', transports: ['websocket'], reconnection: false });
  let listener: (chunk: Buffer | string) => void = () => {};
  const ackBytes = 262144;
  let unacknowledged = 0;
  socket.on('data', (data: string) => {
    unacknowledged += data.length;
    if (unacknowledged >= ackBytes) {
      unacknowledged -= ackBytes;
      socket.emit('commit', ackBytes);
    }
    listener(data);
  });
  await within(new Promise<void>((resolve, reject) => {
    socket.once('login', () => resolve());
    socket.once('connect_error', reject);
  }), 20_000, 'wetty login');
  const client: TerminalClient = { type: (text) => socket.emit('input', text), onOutput: (l) => (listener = l), close: () => socket.disconnect() };
  await firstOutput(client);
  return client;
}

/** Waits for the shell's first output (its prompt), so that measurements start at a quiet terminal. */
export async function firstOutput(client: TerminalClient, timeoutMs = 20_000): Promise<void> {
  await within(new Promise<void>((resolve) => client.onOutput(() => resolve())), timeoutMs, 'first terminal output');
  await sleep(200);
  client.onOutput(() => {});
}

/** Types a command that prints about `bytes` bytes of base64 lines, and times the output to its end marker. */
export async function outputThroughput(client: TerminalClient, bytes: number, timeoutMs = 600_000): Promise<{ bytes: number; seconds: number }> {
  const marker = 'BENCH-42-END';
  let received = 0;
  let tail = '';
  const started = now();
  const done = new Promise<void>((resolve) => {
    client.onOutput((chunk) => {
      received += chunk.length;
      // Only the end of each chunk is looked at: no per-byte work in the client either.
      const end = typeof chunk === 'string' ? chunk.slice(-64) : chunk.subarray(-64).toString('latin1');
      const window = tail + end;
      if (window.includes(marker)) resolve();
      tail = end;
    });
  });
  client.type(`head -c ${Math.round(bytes * 0.75)} /dev/zero | base64 -w 100; echo BENCH-$((6*7))-END\r`);
  await within(done, timeoutMs, 'terminal output');
  const seconds = (now() - started) / 1000;
  client.onOutput(() => {});
  await sleep(100);
  return { bytes: received, seconds };
}

/** Round trips of single keystrokes (a letter, then a backspace) to their echo, in ms. */
export async function keystrokeLatencies(client: TerminalClient, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = now();
    const echoed = new Promise<void>((resolve) => client.onOutput(() => resolve()));
    client.type(i % 2 === 0 ? 'x' : '\x7f');
    await within(echoed, 10_000, 'keystroke echo');
    latencies.push(now() - started);
    client.onOutput(() => {});
    // Let a backspace's three-byte echo finish arriving before the next keystroke.
    await sleep(2);
  }
  return latencies;
}
