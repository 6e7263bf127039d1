import RFB, { type RfbChannel } from '@novnc/novnc';
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { ConnectionStatus } from '../api/reconnect.js';
import { closeSocket, type MachineSocket, type MachineSocketFactory } from '../api/ws.js';
import { useConnectionKeeper } from './use-connection-keeper.js';

export interface DesktopSessionOptions {
  /** Opens the desktop's socket (raw RFB), again for every reconnect; injectable like the terminal's. */
  connect: MachineSocketFactory;
  /** The machine runs, per the API: the session connects (again) only then. */
  running: boolean;
  onLost?(code: number): void;
  /** Watch only: noVNC sends no keys or pointer (the gateway drops them anyway). */
  watchOnly?: boolean;
}

export interface DesktopSession {
  /** The element noVNC draws the remote screen into, scaled to fit it. */
  screenRef: RefObject<HTMLDivElement | null>;
  status: ConnectionStatus;
  reconnect(): void;
  /** The last text the machine put on its clipboard, if any. */
  remoteClipboard: string | null;
  /** Puts text on the machine's clipboard, to paste there. */
  sendClipboard(text: string): void;
  sendCtrlAltDel(): void;
  /** Moves keyboard focus to the remote screen. */
  focus(): void;
  /** Why the last connection failed in the VNC server's words (a security failure), if it did. */
  problem: string | null;
}

/**
 * The socket as noVNC sees it, once the VNC server has greeted: noVNC takes the `on…` handlers
 * for itself, and the session still learns the close code first.
 */
class HandedOverChannel implements RfbChannel {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  private readonly socket: MachineSocket;

  constructor(socket: MachineSocket, closed: (event: CloseEvent) => void) {
    this.socket = socket;
    socket.onmessage = (event) => this.onmessage?.(event);
    socket.onerror = (event) => this.onerror?.(event);
    socket.onclose = (event) => {
      closed(event);
      this.onclose?.(event);
    };
  }

  get binaryType(): BinaryType {
    return this.socket.binaryType;
  }

  set binaryType(type: BinaryType) {
    this.socket.binaryType = type;
  }

  get protocol(): string {
    return '';
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    this.socket.send(data);
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * A noVNC session on one machine's screen, kept connected like the terminal: a fresh RFB object
 * per connection, drawn into the same element.
 *
 * noVNC only gets a socket once the VNC server has sent its greeting. Right after a machine
 * starts, its VNC server may not listen yet and the gateway closes the socket; noVNC would log
 * each such attempt as an error, while here it is an ordinary retry.
 */
export function useDesktopSession({ connect, running, onLost, watchOnly = false }: DesktopSessionOptions): DesktopSession {
  const screenRef = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [ready, setReady] = useState(false);
  const [remoteClipboard, setRemoteClipboard] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    setReady(screenRef.current !== null);
  }, []);

  const { status, reconnect } = useConnectionKeeper(
    {
      open: (events) => {
        const screen = screenRef.current;
        if (!screen) throw new Error('the desktop is not ready');
        const socket = connect();
        socket.binaryType = 'arraybuffer';
        let session: RFB | null = null;
        socket.onclose = (event) => events.closed(event.code, event.reason);
        socket.onmessage = (greeting) => {
          const channel = new HandedOverChannel(socket, (event) => {
            if (rfb.current === session) rfb.current = null;
            events.closed(event.code, event.reason);
          });
          session = new RFB(screen, channel, { shared: true });
          session.scaleViewport = true;
          session.viewOnly = watchOnly;
          session.background = 'transparent';
          session.addEventListener('connect', () => {
            setProblem(null);
            events.opened();
          });
          session.addEventListener('clipboard', (event) => setRemoteClipboard(event.detail.text));
          session.addEventListener('securityfailure', (event) => setProblem(event.detail.reason ?? `The VNC server refused the connection (security status ${event.detail.status}).`));
          rfb.current = session;
          // noVNC attached itself to the open channel; give it the greeting it missed.
          channel.onmessage?.(greeting);
        };
        return {
          close: () => {
            if (session) {
              if (rfb.current === session) rfb.current = null;
              session.disconnect();
            } else {
              closeSocket(socket);
            }
          },
        };
      },
      running,
      ...(onLost && { onLost }),
    },
    ready,
  );

  const sendClipboard = useCallback((text: string) => rfb.current?.clipboardPasteFrom(text), []);
  const sendCtrlAltDel = useCallback(() => rfb.current?.sendCtrlAltDel(), []);
  const focus = useCallback(() => rfb.current?.focus({ preventScroll: true }), []);
  return { screenRef, status, reconnect, remoteClipboard, sendClipboard, sendCtrlAltDel, focus, problem };
}
