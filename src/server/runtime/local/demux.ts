/**
 * Collects the output of a non-TTY exec from the engine's multiplexed stream: frames of
 * [stream type, 0, 0, 0, length (u32 BE)] + payload. Keeps at most `limit` bytes.
 */
export class ExecOutputCollector {
  private pending: Buffer = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      this.keep(this.pending.subarray(8, 8 + length));
      this.pending = this.pending.subarray(8 + length);
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.truncated ? '\n[output truncated]' : '');
  }

  private keep(payload: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated ||= payload.length > 0;
      return;
    }
    const kept = payload.length > room ? payload.subarray(0, room) : payload;
    this.truncated ||= kept.length < payload.length;
    this.chunks.push(Buffer.from(kept));
    this.size += kept.length;
  }
}
