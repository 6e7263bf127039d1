import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../runtime.js';
import { ChildProcessStream } from './child-stream.js';

/** Something to connect to inside a network namespace. */
export type NamespaceTarget = { tcp: { host: string; port: number } } | { abstractSocket: string };

/**
 * A byte stream to `target` from inside the network namespace of process `pid` (a container's
 * init): `nsenter -n` + the host's `socat`, with the child's stdio as the stream. Only the network
 * namespace is entered, so nothing of the container's file system is used or executed: labhub
 * never connects to an engine bridge address from the host, nothing is published on the host, and
 * no socket lives where a container could swap it (TCP ports and abstract unix sockets have no
 * file). One process per connection; the stream owns it.
 */
export function connectInNamespace(pid: number, target: NamespaceTarget): Promise<Duplex> {
  const [address, what] =
    'tcp' in target ? [`TCP:${target.tcp.host}:${target.tcp.port},connect-timeout=5`, `port ${target.tcp.port}`] : [`ABSTRACT-CONNECT:${target.abstractSocket}`, `socket @${target.abstractSocket}`];
  return new Promise((resolve, reject) => {
    // -d -d makes socat say "starting data transfer loop" once connected: the moment to resolve.
    const child = spawn('nsenter', ['-t', String(pid), '-n', '--', 'socat', '-d', '-d', '-b65536', 'STDIO', address], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stream = new ChildProcessStream(child);
    let settled = false;
    // socat's last error line ("… E connect(…): Connection refused") says why a connection failed.
    let lastError = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      lastError = chunk.split('\n').filter((line) => / E /.test(line)).pop() ?? lastError;
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
    child.on('error', (error) => fail(`cannot reach ${what}: ${error.message}`));
    child.on('exit', () => fail(`nothing answers on ${what} (${lastError.replace(/^.*? E /, '').trim() || 'connection failed'})`));
  });
}
