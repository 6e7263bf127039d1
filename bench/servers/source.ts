/**
 * The backends of the relay rows, in a process of their own so that neither the gateway nor the
 * client pays for them: `frames` streams raw RFB FramebufferUpdates (1280×720, 32 bpp) until
 * BENCH_FRAME_BYTES have gone, then closes; `echo` sends back what it gets; `lines` writes
 * BENCH_LINE_RATE bytes a second of 100-byte lines to each connection, until told "stop-lines"
 * on stdin. Prints its ports as one JSON line.
 */
import net from 'node:net';
import readline from 'node:readline';

const totalBytes = Number(process.env.BENCH_FRAME_BYTES ?? 256 * 1024 * 1024);
const lineRate = Number(process.env.BENCH_LINE_RATE ?? 10_000);

const width = 1280;
const height = 720;
/** FramebufferUpdate: type 0, padding, one rectangle (x, y, w, h, encoding Raw), then the pixels. */
function frame(): Buffer {
  const buffer = Buffer.alloc(4 + 12 + width * height * 4, 0x5a);
  buffer.writeUInt8(0, 0);
  buffer.writeUInt16BE(1, 2);
  buffer.writeUInt16BE(0, 4);
  buffer.writeUInt16BE(0, 6);
  buffer.writeUInt16BE(width, 8);
  buffer.writeUInt16BE(height, 10);
  buffer.writeInt32BE(0, 12);
  return buffer;
}
const oneFrame = frame();
/** Written in slices of this size, as a VNC server writes a frame in socket-sized pieces. */
const sliceBytes = 256 * 1024;

const frames = net.createServer((socket) => {
  socket.on('error', () => {});
  let sent = 0;
  let offset = 0;
  const pump = () => {
    while (sent < totalBytes) {
      const length = Math.min(sliceBytes, oneFrame.length - offset, totalBytes - sent);
      const slice = oneFrame.subarray(offset, offset + length);
      offset = (offset + length) % oneFrame.length;
      sent += length;
      if (!socket.write(slice)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
});

const echo = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});

const lineSockets = new Set<net.Socket>();
const lines = net.createServer((socket) => {
  socket.on('error', () => {});
  lineSockets.add(socket);
  socket.on('close', () => lineSockets.delete(socket));
});
const tickMs = 50;
const line = Buffer.from(`${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(3).slice(0, 98)}\r\n`);
const perTick = Buffer.concat(Array.from({ length: Math.max(1, Math.round((lineRate * tickMs) / 1000 / line.length)) }, () => line));
setInterval(() => {
  // A socket that cannot take more is skipped: the gateway's backpressure, not our memory, decides.
  for (const socket of lineSockets) if (!socket.writableNeedDrain) socket.write(perTick);
}, tickMs);

const listen = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
const ports = { frames: await listen(frames), echo: await listen(echo), lines: await listen(lines) };
process.stdout.write(`${JSON.stringify({ ready: true, ports, frameBytes: oneFrame.length })}\n`);

readline.createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'stop-lines') {
    for (const socket of lineSockets) socket.destroy();
    process.stdout.write(`${JSON.stringify({ stopped: 'lines' })}\n`);
  }
}).on('close', () => process.exit(0));
