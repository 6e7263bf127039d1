/** A small client of kube-sim for its own tests: plain HTTP, watch lines, and the WebSocket subresources. */
import { WebSocket } from 'ws';
import type { KubeSim } from './server.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export class SimClient {
  constructor(private readonly sim: KubeSim) {}

  async request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer<T>> {
    const response = await fetch(`${this.sim.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.sim.token}`, 'Content-Type': contentType },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Polls `path` until `done` holds for the object (or fails after `timeoutMs`, saying what it last saw). */
  async waitFor<T = any>(path: string, done: (object: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const answer = await this.request<T>('GET', path);
      last = answer.body;
      if (answer.status === 200 && done(answer.body)) return answer.body;
      if (Date.now() > deadline) throw new Error(`timed out waiting on ${path}; last: ${JSON.stringify(last).slice(0, 1500)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A watch: its events as they come, until `stop()`. */
  watch(path: string): { events: { type: string; object: any }[]; next(predicate: (event: { type: string; object: any }) => boolean, timeoutMs?: number): Promise<void>; ended: Promise<void>; stop(): void } {
    const controller = new AbortController();
    const events: { type: string; object: any }[] = [];
    const waiters = new Set<() => void>();
    const ended = (async () => {
      const response = await fetch(`${this.sim.url}${path}`, { headers: { Authorization: `Bearer ${this.sim.token}` }, signal: controller.signal });
      let buffered = '';
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffered.slice(0, newline)) as { type: string; object: any });
          buffered = buffered.slice(newline + 1);
          waiters.forEach((wake) => wake());
        }
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    return {
      events,
      ended,
      stop: () => controller.abort(),
      next: (predicate, timeoutMs = 60_000) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (!events.some(predicate)) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no such watch event; saw ${events.map((e) => `${e.type}:${JSON.stringify(e.object?.status ?? e.object?.code)}`).join(' | ').slice(-1500)}`))), timeoutMs);
          waiters.add(check);
          check();
        }),
    };
  }

  /** Opens a WebSocket subresource with `protocols`; resolves once open, paused (no message is lost before a listener is there: readSocket and the tests resume it). */
  open(path: string, protocols: string[]): Promise<WebSocket> {
    const ws = new WebSocket(`${this.sim.url.replace(/^http/, 'ws')}${path}`, protocols, { headers: { Authorization: `Bearer ${this.sim.token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.pause();
        resolve(ws);
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(new Error(`${response.statusCode}: ${body}`)));
      });
    });
  }

  /** Runs a command through pods/exec and collects its channels until the server closes. */
  async exec(namespace: string, pod: string, command: string[], protocol: string, stdin?: string): Promise<{ stdout: string; stderr: string; status: any; protocol: string }> {
    const query = [...command.map((c) => `command=${encodeURIComponent(c)}`), 'stdout=true', 'stderr=true', ...(stdin !== undefined ? ['stdin=true'] : [])].join('&');
    const ws = await this.open(`/api/v1/namespaces/${namespace}/pods/${pod}/exec?${query}`, [protocol]);
    const result = { stdout: '', stderr: '', status: undefined as unknown, protocol: ws.protocol };
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const payload = data.subarray(1).toString('utf8');
      if (channel === 1) result.stdout += payload;
      else if (channel === 2) result.stderr += payload;
      else if (channel === 3) result.status = JSON.parse(payload);
    });
    ws.resume();
    if (stdin !== undefined) {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
      ws.send(Buffer.from([255, 0]));
    }
    await closed;
    return result;
  }
}

/** Collects what arrives on a WebSocket until `pattern` shows (raw bytes as latin1; `skip` drops each message's first bytes, e.g. a channel). */
export function readSocket(ws: WebSocket, pattern: RegExp, timeoutMs = 30_000, skip = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onMessage = (data: Buffer) => {
      seen += data.subarray(skip).toString('latin1');
      if (pattern.test(seen)) done(() => resolve(seen));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}; saw ${JSON.stringify(seen.slice(-500))}`))), timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      fn();
    };
    ws.on('message', onMessage);
    ws.resume();
  });
}
