import net from 'node:net';
import type WebSocket from 'ws';
import type { BenchContext } from '../lib/context.js';
import { openSocket } from '../lib/labhub.js';
import { freePort, processUsage, startChild, waitForPort, type Child } from '../lib/processes.js';
import { emptyResult, type RowResult } from '../lib/report.js';
import { median, now, quantile, within } from '../lib/stats.js';

/** A byte stream as the client sees it, raw TCP or WebSocket. */
interface Pipe {
  send(data: Buffer): void;
  onData(listener: (chunk: Buffer) => void): void;
  onEnd(listener: () => void): void;
  close(): void;
}

function tcpPipe(port: number): Promise<Pipe> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({ send: (data) => socket.write(data), onData: (l) => void socket.removeAllListeners('data').on('data', l), onEnd: (l) => void socket.once('close', l), close: () => socket.destroy() }),
    );
  });
}

function wsPipe(ws: WebSocket): Pipe {
  return { send: (data) => ws.send(data), onData: (l) => void ws.removeAllListeners('message').on('message', l), onEnd: (l) => void ws.once('close', l), close: () => ws.close() };
}

/** The bytes a stream delivers until it ends, and how fast. */
async function drain(open: () => Promise<Pipe>): Promise<{ received: number; rate: number }> {
  const started = now();
  const pipe = await open();
  let received = 0;
  await within(
    new Promise<void>((resolve) => {
      pipe.onData((chunk) => {
        received += chunk.length;
      });
      pipe.onEnd(resolve);
    }),
    300_000,
    'frame stream',
  );
  return { received, rate: received / 1e6 / ((now() - started) / 1000) };
}

/** Round trips of a 64-byte message (a pointer event's size, padded) through an echoing backend, in ms. */
async function roundTrips(pipe: Pipe, count: number): Promise<number[]> {
  const message = Buffer.alloc(64, 0x41);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    let received = 0;
    const started = now();
    await within(
      new Promise<void>((resolve) => {
        pipe.onData((chunk) => {
          received += chunk.length;
          if (received >= message.length) resolve();
        });
        pipe.send(message);
      }),
      10_000,
      'echo',
    );
    latencies.push(now() - started);
  }
  pipe.close();
  return latencies;
}

/**
 * Row 2: RFB frames from a TCP source (bench/servers/source.ts), read (a) over raw loopback TCP,
 * (b) through labhub's gateway VNC WebSocket, (c) through websockify; then small-message round
 * trips through each to an echoing source.
 */
export async function vncRelay(ctx: BenchContext): Promise<RowResult> {
  const { ports } = ctx.source.ready;
  const websockify = async (target: number): Promise<{ child: Child<unknown>; port: number }> => {
    const port = await freePort();
    const child = await startChild({ argv: ['websockify', `127.0.0.1:${port}`, `127.0.0.1:${target}`], readyWhen: /Listen on|Listening on/i });
    await waitForPort(port);
    return { child, port };
  };
  const framesProxy = await websockify(ports.frames);
  const echoProxy = await websockify(ports.echo);
  const instance = ctx.labhub.instances[0] as string;
  const gatewayWs = (machine: string) => openSocket(ctx.labhub.wsUrl(instance, machine, 'vnc'), { cookie: ctx.labhub.cookie, origin: ctx.labhub.url });
  const websockifyWs = (port: number) => openSocket(`ws://127.0.0.1:${port}/`, {}, ['binary']);
  const variants = [
    { name: 'a. raw loopback TCP (limit)', frames: () => tcpPipe(ports.frames), echo: () => tcpPipe(ports.echo) },
    { name: 'b. labhub gateway', pid: ctx.labhub.pid, frames: async () => wsPipe(await gatewayWs('frames')), echo: async () => wsPipe(await gatewayWs('echo')) },
    { name: 'c. websockify 0.10 (Debian)', frames: async () => wsPipe(await websockifyWs(framesProxy.port)), echo: async () => wsPipe(await websockifyWs(echoProxy.port)) },
  ];
  const repetitions = ctx.quick ? 2 : 5;
  const rounds = ctx.quick ? 300 : 2000;
  const result = emptyResult();
  try {
    const rates = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const cpu = new Map<string, number[]>();
    for (let rep = 0; rep < repetitions; rep++) {
      for (const variant of variants) {
        const before = variant.pid ? processUsage(variant.pid).cpuSeconds : 0;
        const { received, rate } = await drain(variant.frames);
        rates.get(variant.name)?.push(rate);
        if (received !== ctx.frameTotal) {
          // websockify 0.10 sometimes drops the tail of the stream when the target closes (seen here: 1 in 8).
          if (variant.pid) throw new Error(`${variant.name} delivered ${received} of ${ctx.frameTotal} bytes`);
          result.notes.push(`row 2: ${variant.name} delivered ${received} of ${ctx.frameTotal} bytes (lost the end when the source closed)`);
        }
        if (variant.pid) cpu.set(variant.name, [...(cpu.get(variant.name) ?? []), ((processUsage(variant.pid).cpuSeconds - before) * 1000) / (ctx.frameTotal / 1e6)]);
      }
    }
    for (const variant of variants) {
      result.measurements.push({ row: 2, variant: variant.name, metric: `throughput (${Math.round(ctx.frameTotal / 2 ** 20)} MiB of 1280×720 raw frames, median of ${repetitions})`, value: median(rates.get(variant.name) ?? []), unit: 'MB/s' });
      const cpuValues = cpu.get(variant.name);
      if (cpuValues) result.measurements.push({ row: 2, variant: variant.name, metric: 'server CPU per MB', value: median(cpuValues), unit: 'ms/MB' });
    }
    const latencies = new Map<string, number[]>();
    for (const variant of variants) latencies.set(variant.name, await roundTrips(await variant.echo(), rounds));
    for (const variant of variants) {
      const values = latencies.get(variant.name) ?? [];
      result.measurements.push({ row: 2, variant: variant.name, metric: `64-byte round trip p50 (${rounds})`, value: quantile(values, 0.5), unit: 'ms' });
      result.measurements.push({ row: 2, variant: variant.name, metric: `64-byte round trip p99 (${rounds})`, value: quantile(values, 0.99), unit: 'ms' });
    }
    const rate = (i: number) => median(rates.get(variants[i]?.name as string) ?? []);
    const p50 = (i: number) => quantile(latencies.get(variants[i]?.name as string) ?? [], 0.5);
    result.ratios.push({ row: 2, name: 'throughput b/a (gateway / raw TCP)', value: rate(1) / rate(0) });
    result.ratios.push({ row: 2, name: 'throughput b/c (gateway / websockify)', value: rate(1) / rate(2) });
    result.ratios.push({ row: 2, name: 'round trip p50 b/c (gateway / websockify; lower is better)', value: p50(1) / p50(2) });
  } finally {
    await Promise.all([framesProxy.child.stop(), echoProxy.child.stop()]);
  }
  return result;
}
