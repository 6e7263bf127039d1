import { OutputHead } from '../runtime-support.js';

/**
 * Collects the output of a non-TTY exec from the engine's multiplexed stream: frames of
 * [stream type, 0, 0, 0, length (u32 BE)] + payload. Keeps at most `limit` bytes.
 */
export class ExecOutputCollector {
  private pending: Buffer = Buffer.alloc(0);
  private readonly head: OutputHead;

  constructor(limit: number) {
    this.head = new OutputHead(limit);
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      this.head.push(this.pending.subarray(8, 8 + length));
      this.pending = this.pending.subarray(8 + length);
    }
  }

  text(): string {
    return this.head.text();
  }
}
