import type { Duplex } from 'node:stream';

/** An asynchronous event from QEMU, e.g. STOP, RESUME, SHUTDOWN, POWERDOWN. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

/** A command QEMU refused, with QEMU's error class (e.g. `CommandNotFound`) and description. */
export class QmpError extends Error {
  override name = 'QmpError';
  constructor(
    readonly errorClass: string,
    description: string,
  ) {
    super(description);
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/**
 * A small client for QEMU's machine protocol (QMP) over any byte stream: reads the greeting,
 * negotiates capabilities, then runs commands (matched to replies by id) and hands events to
 * listeners. QEMU sends one JSON object per line. QEMU serves one QMP client at a time, so
 * callers keep connections short and close them.
 */
export class QmpClient {
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: QmpEvent) => void>();
  private nextId = 1;
  private buffered = '';
  private closedError: Error | undefined;
  private markClosed: (error: Error) => void = () => {};
  /** Settles when the connection ends (QEMU exits, or close()). */
  readonly closed: Promise<Error> = new Promise((resolve) => (this.markClosed = resolve));

  private constructor(private readonly stream: Duplex) {}

  /** Waits for the greeting and leaves capabilities negotiation; fails after `timeoutMs` (e.g. when another client holds QMP). */
  static async connect(stream: Duplex, timeoutMs = 5000): Promise<QmpClient> {
    const client = new QmpClient(stream);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no QMP greeting within ${timeoutMs} ms`)), timeoutMs);
      client.onGreeting = () => (clearTimeout(timer), resolve());
      client.onClose = (error) => (clearTimeout(timer), reject(error));
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => client.receive(chunk));
    stream.on('error', (error: Error) => client.fail(error));
    stream.on('close', () => client.fail(new Error('QMP connection closed')));
    try {
      await greeting;
      await client.execute('qmp_capabilities', undefined, timeoutMs);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private onGreeting: () => void = () => {};
  private onClose: (error: Error) => void = () => {};

  /** Runs one command; resolves with its `return` value, rejects with QmpError when QEMU refuses it. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.stream.write(`${JSON.stringify({ execute: command, ...(args && { arguments: args }), id })}\n`);
    });
  }

  /** Calls `listener` for every event until the returned function is called. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.fail(new Error('QMP connection closed'));
    this.stream.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let message: { QMP?: unknown; id?: number; return?: unknown; error?: { class?: string; desc?: string }; event?: string; data?: Record<string, unknown> };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.QMP) return this.onGreeting();
    if (message.event) {
      const event: QmpEvent = { event: message.event, ...(message.data && { data: message.data }) };
      for (const listener of this.listeners) listener(event);
      return;
    }
    const pending = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!pending || message.id === undefined) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(new QmpError(message.error.class ?? 'GenericError', message.error.desc ?? 'QMP error'));
    else pending.resolve(message.return);
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.onClose(error);
    this.markClosed(error);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}
