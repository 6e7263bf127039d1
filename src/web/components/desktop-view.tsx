import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { gatewaySocket } from '../api/ws.js';
import { useDesktopSession } from '../hooks/use-desktop-session.js';
import { useWatchOnly } from '../hooks/use-workspace-access.js';
import { Button } from './button.js';
import { ConnectionNotice } from './connection-notice.js';
import { ConnectionState } from './connection-state.js';
import { HelpPopover, KeyHelp } from './help-popover.js';
import { ClipboardIcon, CloseIcon, KeyboardIcon, MaximizeIcon, MinimizeIcon, RefreshIcon } from './icons.js';
import type { MachineViewProps } from './terminal-view.js';

/**
 * A machine's graphical screen through noVNC, scaled to the pane, with what a remote desktop
 * needs beside it: Ctrl+Alt+Del (the local system would take it), full screen, the remote
 * clipboard and a way to reconnect.
 */
export function DesktopView({ instanceId, machine, availability, focusSignal, onLost, connect, shortcuts = [] }: MachineViewProps) {
  const watchOnly = useWatchOnly();
  const session = useDesktopSession({ connect: connect ?? gatewaySocket(instanceId, machine, 'vnc'), running: availability.running, watchOnly, ...(onLost && { onLost }) });
  const frame = useRef<HTMLDivElement>(null);
  const fullscreen = useFullscreen(frame);
  const [clipboardOpen, setClipboardOpen] = useState(false);
  const open = session.status.phase === 'open';
  const { focus } = session;

  // Opening the tab asks for focus; the remote screen can only take it once connected, maybe later.
  const wantsFocus = useRef(false);
  useEffect(() => {
    if (focusSignal > 0) wantsFocus.current = true;
  }, [focusSignal]);
  useEffect(() => {
    if (!open || !wantsFocus.current) return;
    wantsFocus.current = false;
    focus();
  }, [open, focusSignal, focus]);

  const clipboardId = useId();
  return (
    <div className="machine-view desktop-view" ref={frame}>
      <div className="machine-view__toolbar">
        <ConnectionState status={session.status} running={availability.running} />
        {watchOnly && <span className="watch-only-badge">Watching · input off</span>}
        <div className="machine-view__tools" role="group" aria-label={`Desktop of ${machine}`}>
          {!watchOnly && (
            <>
              <Button variant="quiet" size="small" onClick={() => {
                session.sendCtrlAltDel();
                session.focus();
              }} disabled={!open}>
                <KeyboardIcon size={16} />
                Ctrl+Alt+Del
              </Button>
              <Button variant="quiet" size="small" aria-expanded={clipboardOpen} aria-controls={clipboardId} onClick={() => setClipboardOpen((shown) => !shown)}>
                <ClipboardIcon size={16} />
                Clipboard
              </Button>
            </>
          )}
          {fullscreen.supported && (
            <Button variant="quiet" size="small" onClick={() => void fullscreen.toggle()}>
              {fullscreen.active ? <MinimizeIcon size={16} /> : <MaximizeIcon size={16} />}
              {fullscreen.active ? 'Exit full screen' : 'Full screen'}
            </Button>
          )}
          <Button variant="quiet" size="small" onClick={session.reconnect}>
            <RefreshIcon size={16} />
            Reconnect
          </Button>
          <HelpPopover label="Desktop keys">
            <h3 className="popover__title">Desktop keys</h3>
            <p className="popover__lead">Click the screen to type into it: every key then goes to the machine, except these.</p>
            <dl className="key-list">
              {shortcuts.map((shortcut) => (
                <KeyHelp key={shortcut.keys} keys={[shortcut.keys]}>
                  {shortcut.label}
                </KeyHelp>
              ))}
            </dl>
            <p className="popover__note">
              For <kbd>Ctrl+Alt+Del</kbd> use the button; your own computer would take those keys. Copy and paste between your computer and the machine with the Clipboard panel.
            </p>
          </HelpPopover>
        </div>
      </div>
      <div className="machine-view__body desktop-view__body">
        <div className="desktop-view__screen" ref={session.screenRef} />
        <ConnectionNotice status={session.status} availability={availability} what="desktop" onReconnect={session.reconnect} problem={session.problem} />
        {clipboardOpen && (
          <ClipboardPanel
            id={clipboardId}
            remote={session.remoteClipboard}
            canSend={open}
            onSend={(text) => {
              session.sendClipboard(text);
              session.focus();
            }}
            onClose={() => setClipboardOpen(false)}
          />
        )}
      </div>
    </div>
  );
}

/**
 * The machine's clipboard as a text area: what is copied there appears here (to copy on this
 * computer), and text put here can be sent there (to paste on the machine).
 */
function ClipboardPanel({ id, remote, canSend, onSend, onClose }: { id: string; remote: string | null; canSend: boolean; onSend(text: string): void; onClose(): void }) {
  const [text, setText] = useState(remote ?? '');
  const [sent, setSent] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const headingId = useId();

  // What the machine copies replaces the text here, as in noVNC's own clipboard panel.
  useEffect(() => {
    if (remote !== null) {
      setText(remote);
      setSent(false);
    }
  }, [remote]);
  useEffect(() => area.current?.focus(), []);

  return (
    <section
      id={id}
      className="clipboard-panel"
      aria-labelledby={headingId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <header className="clipboard-panel__header">
        <h3 className="clipboard-panel__title" id={headingId}>
          Clipboard of the machine
        </h3>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close the clipboard">
          <CloseIcon size={16} />
        </button>
      </header>
      <p className="clipboard-panel__hint">Text copied on the machine shows here. To paste something there, put it here, send it, then paste on the machine.</p>
      <textarea
        ref={area}
        className="input clipboard-panel__text"
        aria-label="Clipboard text"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setSent(false);
        }}
        rows={6}
        spellCheck={false}
      />
      <div className="clipboard-panel__actions">
        <span className="clipboard-panel__sent" role="status">
          {sent ? 'Sent. Paste it on the machine.' : ''}
        </span>
        <Button
          size="small"
          variant="primary"
          disabled={!canSend || text === ''}
          onClick={() => {
            onSend(text);
            setSent(true);
          }}
        >
          Send to the machine
        </Button>
      </div>
    </section>
  );
}

/** Full screen for one element, following the browser (Escape leaves it without asking us). */
function useFullscreen(element: RefObject<HTMLElement | null>) {
  const [active, setActive] = useState(false);
  useEffect(() => {
    const changed = () => setActive(document.fullscreenElement !== null && document.fullscreenElement === element.current);
    document.addEventListener('fullscreenchange', changed);
    return () => document.removeEventListener('fullscreenchange', changed);
  }, [element]);
  return {
    supported: document.fullscreenEnabled,
    active,
    toggle: async () => {
      try {
        if (document.fullscreenElement) await document.exitFullscreen();
        else await element.current?.requestFullscreen();
      } catch {
        // Refused (e.g. not from a user gesture); the button stays as it was.
      }
    },
  };
}
