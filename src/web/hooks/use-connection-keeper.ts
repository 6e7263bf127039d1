import { useCallback, useEffect, useRef, useState } from 'react';
import { ConnectionKeeper, type ConnectionEvents, type ConnectionStatus, type KeptConnection } from '../api/reconnect.js';

export interface ConnectionKeeperOptions {
  /** Opens one connection (called again for each reconnect); read when called, so it may change between renders. */
  open(events: ConnectionEvents): KeptConnection;
  /** The machine runs, per the API: connecting starts (again) only then. */
  running: boolean;
  /** A connection closed without being asked to. */
  onLost?(code: number): void;
}

/**
 * A ConnectionKeeper for a component's lifetime: its status as React state, and a reconnect
 * the user can ask for. `ready` holds connecting back until what the connection writes into
 * exists (the terminal, the desktop's element).
 */
export function useConnectionKeeper({ open, running, onLost }: ConnectionKeeperOptions, ready: boolean): { status: ConnectionStatus; reconnect(): void } {
  const [status, setStatus] = useState<ConnectionStatus>({ phase: 'waiting' });
  const latest = useRef({ open, onLost });
  const keeper = useRef<ConnectionKeeper | null>(null);
  useEffect(() => {
    latest.current = { open, onLost };
  });

  useEffect(() => {
    if (!ready) return;
    const created = new ConnectionKeeper({
      open: (events) => latest.current.open(events),
      onStatus: setStatus,
      onLost: (code) => latest.current.onLost?.(code),
    });
    keeper.current = created;
    return () => {
      created.dispose();
      keeper.current = null;
      setStatus({ phase: 'waiting' });
    };
  }, [ready]);

  useEffect(() => {
    keeper.current?.setRunning(ready && running);
  }, [ready, running]);

  const reconnect = useCallback(() => keeper.current?.reconnect(), []);
  return { status, reconnect };
}
