import type { Duplex } from 'node:stream';

/**
 * A minimal RFB (VNC) client for tests (RFC 6143): version 3.8, security type None, a
 * shared ClientInit, 32-bit true colour, Raw encoding only, one full FramebufferUpdateRequest.
 * Enough to prove a machine's screen shows real pixels, not just that a server answers.
 */
export interface RfbScreen {
  /** What the server said first, e.g. "RFB 003.008". */
  version: string;
  width: number;
  height: number;
  name: string;
  /** The pixels of the first update, 4 bytes each (blue, green, red, unused). */
  pixels: Buffer;
  /** How many different colours the update holds: 1 means a blank screen. */
  colours: number;
}

/** Reads exact byte counts from a stream. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended: Error | undefined;

  constructor(stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    const end = () => {
      this.ended ??= new Error(`the server closed the connection (had ${this.buffered.length} unread bytes)`);
      this.waiting?.();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', (error: Error) => {
      this.ended = error;
      this.waiting?.();
    });
  }

  async read(length: number): Promise<Buffer> {
    while (this.buffered.length < length) {
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
    const bytes = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return bytes;
  }
}

/** Runs the handshake on `stream` and reads one full-screen update; fails after `timeoutMs`. */
export async function readScreen(stream: Duplex, timeoutMs = 20_000): Promise<RfbScreen> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no framebuffer update within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([handshakeAndRead(stream), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function handshakeAndRead(stream: Duplex): Promise<RfbScreen> {
  const reader = new ByteReader(stream);
  const version = (await reader.read(12)).toString('latin1').trim();
  if (!/^RFB 003\.00[378]$/.test(version)) throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
  stream.write('RFB 003.008\n');

  const typeCount = (await reader.read(1)).readUInt8(0);
  if (typeCount === 0) {
    const reason = await reader.read((await reader.read(4)).readUInt32BE(0));
    throw new Error(`the server refused: ${reason.toString('utf8')}`);
  }
  const types = [...(await reader.read(typeCount))];
  if (!types.includes(1)) throw new Error(`the server wants authentication (security types ${types.join(', ')})`);
  stream.write(Buffer.from([1]));
  const result = (await reader.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`security handshake failed (${result})`);

  stream.write(Buffer.from([1])); // ClientInit: shared
  const init = await reader.read(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const name = (await reader.read(init.readUInt32BE(20))).toString('utf8');

  // SetPixelFormat: 32 bpp, depth 24, little-endian, true colour, 8 bits per channel (red << 16).
  const format = Buffer.alloc(20);
  format.writeUInt8(0, 0);
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(format, 4);
  // SetEncodings: Raw (0) only.
  const encodings = Buffer.alloc(8);
  encodings.writeUInt8(2, 0);
  encodings.writeUInt16BE(1, 2);
  encodings.writeInt32BE(0, 4);
  // FramebufferUpdateRequest: not incremental, the whole screen.
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(0, 1);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  stream.write(Buffer.concat([format, encodings, request]));

  for (;;) {
    const type = (await reader.read(1)).readUInt8(0);
    if (type === 0) break; // FramebufferUpdate
    if (type === 1) {
      // SetColourMapEntries: padding, first colour, count, 6 bytes each.
      const header = await reader.read(5);
      await reader.read(header.readUInt16BE(3) * 6);
    } else if (type === 2) {
      // Bell: nothing follows.
    } else if (type === 3) {
      const header = await reader.read(7);
      await reader.read(header.readUInt32BE(3));
    } else {
      throw new Error(`unexpected server message type ${type}`);
    }
  }
  const rectangles = (await reader.read(3)).readUInt16BE(1);
  const parts: Buffer[] = [];
  for (let i = 0; i < rectangles; i++) {
    const header = await reader.read(12);
    const [w, h, encoding] = [header.readUInt16BE(4), header.readUInt16BE(6), header.readInt32BE(8)];
    if (encoding !== 0) throw new Error(`the server sent encoding ${encoding}, not Raw`);
    parts.push(await reader.read(w * h * 4));
  }
  const pixels = Buffer.concat(parts);
  const colours = new Set<number>();
  for (let offset = 0; offset + 4 <= pixels.length && colours.size < 64; offset += 4) colours.add(pixels.readUInt32LE(offset) & 0xffffff);
  return { version, width, height, name, pixels, colours: colours.size };
}
