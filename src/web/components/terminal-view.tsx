import '@xterm/xterm/css/xterm.css';
import { useEffect } from 'react';
import { gatewaySocket, type MachineSocketFactory } from '../api/ws.js';
import { useTerminalInput } from '../hooks/use-terminal-inputs.js';
import { useTerminalStream } from '../hooks/use-terminal-stream.js';
import { useWatchOnly } from '../hooks/use-workspace-access.js';
import { ConnectionNotice, type MachineAvailability } from './connection-notice.js';
import { ConnectionState } from './connection-state.js';
import { HelpPopover, KeyHelp } from './help-popover.js';
import { RefreshIcon } from './icons.js';

/** What a view of one machine (its terminal or its desktop) is given. */
export interface MachineViewProps {
  instanceId: string;
  machine: string;
  availability: MachineAvailability;
  /** Each new value moves keyboard focus into the view (the learner opened its tab). */
  focusSignal: number;
  onLost?(code: number): void;
  /** Another way to reach the machine than the gateway's WebSocket (tests, other transports). */
  connect?: MachineSocketFactory;
  /** Shortcuts of the workspace, listed in the keys help. */
  shortcuts?: { keys: string; label: string }[];
}

/** A machine's terminal: xterm.js filling the pane, its connection state, and help with the keys. */
export function TerminalView({ instanceId, machine, availability, focusSignal, onLost, connect, shortcuts = [] }: MachineViewProps) {
  const watchOnly = useWatchOnly();
  const stream = useTerminalStream({ connect: connect ?? gatewaySocket(instanceId, machine, 'terminal'), running: availability.running, watchOnly, ...(onLost && { onLost }) });
  const { focus } = stream;
  // Run buttons of the instructions type into this terminal.
  useTerminalInput(machine, stream.sendInput, stream.status.phase === 'open');

  useEffect(() => {
    if (focusSignal > 0) focus();
  }, [focusSignal, focus]);

  return (
    <div className="machine-view terminal-view">
      <div className="machine-view__toolbar">
        <ConnectionState status={stream.status} running={availability.running} />
        {watchOnly && <span className="watch-only-badge">Watching · input off</span>}
        <div className="machine-view__tools">
          <button type="button" className="icon-button" onClick={stream.reconnect} aria-label={`Reconnect the terminal of ${machine}`} title="Reconnect">
            <RefreshIcon size={18} />
          </button>
          <HelpPopover label="Terminal keys">
            <h3 className="popover__title">Terminal keys</h3>
            <dl className="key-list">
              <KeyHelp keys={['Ctrl+Shift+C']}>Copy the selected text (select with the mouse; right-click also offers Copy)</KeyHelp>
              <KeyHelp keys={['Ctrl+Shift+V']}>Paste (right-click also offers Paste)</KeyHelp>
              <KeyHelp keys={['⌘C', '⌘V']}>Copy and paste on a Mac</KeyHelp>
              <KeyHelp keys={['Ctrl+C']}>Stops the running program, as in any terminal</KeyHelp>
              {shortcuts.map((shortcut) => (
                <KeyHelp key={shortcut.keys} keys={[shortcut.keys]}>
                  {shortcut.label}
                </KeyHelp>
              ))}
            </dl>
            <p className="popover__note">Links in the output open in a new tab when clicked.</p>
          </HelpPopover>
        </div>
      </div>
      <div className="machine-view__body">
        <div className="terminal-view__screen" ref={stream.containerRef} aria-label={`Terminal of ${machine}`} role="group" />
        <ConnectionNotice status={stream.status} availability={availability} what="terminal" onReconnect={stream.reconnect} />
      </div>
    </div>
  );
}
