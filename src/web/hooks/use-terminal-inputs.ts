import { createContext, useContext, useEffect } from 'react';

type Sender = (text: string) => boolean;

/** Input typed for a terminal that was not connected yet is dropped after this long rather than typed by surprise later. */
const pendingLifetimeMs = 30_000;

/**
 * Where text typed on the learner's behalf (a Run button of the instructions) reaches a machine's
 * terminal. Each open terminal registers its stream; text for a terminal that is not mounted or
 * connected yet waits until it is (for a little while).
 */
export class TerminalInputs {
  private readonly senders = new Map<string, Sender>();
  private readonly pending = new Map<string, { text: string; at: number }[]>();

  register(machine: string, send: Sender): () => void {
    this.senders.set(machine, send);
    this.flush(machine);
    return () => {
      if (this.senders.get(machine) === send) this.senders.delete(machine);
    };
  }

  /** Types `text` into the machine's terminal now, or as soon as it is connected. */
  send(machine: string, text: string): void {
    const queue = this.pending.get(machine) ?? [];
    queue.push({ text, at: Date.now() });
    this.pending.set(machine, queue);
    this.flush(machine);
  }

  /** Sends what waits for the machine's terminal, if it is connected. */
  flush(machine: string): void {
    const send = this.senders.get(machine);
    const queue = this.pending.get(machine);
    if (!send || !queue) return;
    const fresh = queue.filter((entry) => Date.now() - entry.at < pendingLifetimeMs);
    while (fresh.length > 0 && send(fresh[0]!.text)) fresh.shift();
    if (fresh.length > 0) this.pending.set(machine, fresh);
    else this.pending.delete(machine);
  }
}

export const TerminalInputsContext = createContext<TerminalInputs | null>(null);

/** Registers a terminal's `sendInput` for `machine` while it is mounted, and sends what waits once `connected`. */
export function useTerminalInput(machine: string, sendInput: Sender, connected: boolean): void {
  const inputs = useContext(TerminalInputsContext);
  useEffect(() => inputs?.register(machine, sendInput), [inputs, machine, sendInput]);
  useEffect(() => {
    if (connected) inputs?.flush(machine);
  }, [inputs, machine, connected]);
}
