import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../runtime.js';
import { ChildProcessStream } from './child-stream.js';

/**
 * Raw TCP to `host:port` from inside the network namespace of process `pid` (a container's
 * init): `nsenter` + `socat`, with the child's stdio as the byte stream. labhub never connects
 * to an engine bridge address from the host, nothing is published on the host, and no socket
 * lives where a container could swap it. One process per connection; the stream owns it.
 */
export function connectInNamespace(pid: number, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    // -d -d makes socat say "starting data transfer loop" once connected: the moment to resolve.
    const child = spawn('nsenter', ['-t', String(pid), '-n', '--', 'socat', '-d', '-d', '-b65536', 'STDIO', `TCP:${host}:${port},connect-timeout=5`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stream = new ChildProcessStream(child);
    let settled = false;
    let lastLine = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      lastLine = chunk.trim().split('\n').pop() ?? lastLine;
      if (chunk.includes('starting data transfer loop')) {
        settled = true;
        resolve(stream);
      }
    });
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(new RuntimeError('not_running', message));
    };
    child.on('error', (error) => fail(`cannot reach port ${port}: ${error.message}`));
    child.on('exit', () => fail(`nothing answers on port ${port} (${lastLine.replace(/^.*? E /, '') || 'connection failed'})`));
  });
}
