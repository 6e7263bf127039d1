import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';

/**
 * A child process's stdout/stdin as one Duplex, with backpressure both ways: a full reader
 * pauses the child's stdout, and writes complete only when the child's stdin accepted them.
 * Destroying the stream kills the child; the child exiting ends the stream.
 */
export class ChildProcessStream extends Duplex {
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super({ allowHalfOpen: false });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.on('end', () => this.push(null));
    child.stdin.on('error', () => {
      // EPIPE when the child has gone: its exit ends this stream.
    });
    child.on('exit', () => {
      this.push(null);
      this.destroy();
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.child.stdin.destroyed) return callback();
    this.child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    callback(error);
  }
}
