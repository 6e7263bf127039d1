import type { ConnectionStatus } from '../api/reconnect.js';

const labels: Record<ConnectionStatus['phase'], string> = {
  waiting: 'Not connected',
  connecting: 'Connecting…',
  open: 'Connected',
  lost: 'Reconnecting…',
  'not-running': 'Machine not running',
  ended: 'Disconnected',
};

/** A dot and a word for a connection, in a view's toolbar. */
export function ConnectionState({ status, running }: { status: ConnectionStatus; running: boolean }) {
  // Getting back after a loss reads as reconnecting; the tries before any connection as connecting.
  const phase = status.phase === 'connecting' && status.wasOpen ? 'lost' : status.phase === 'lost' && !status.wasOpen ? 'connecting' : status.phase;
  const label = phase === 'waiting' && !running ? 'Machine not running' : labels[phase];
  return <span className={`connection-state connection-state--${phase}`}>{label}</span>;
}
