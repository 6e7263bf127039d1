import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type ITerminalOptions } from '@xterm/xterm';
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { ConnectionEvents, ConnectionStatus, KeptConnection } from '../api/reconnect.js';
import { TerminalFeed } from '../api/terminal-feed.js';
import { closeSocket, socketState, type MachineSocket, type MachineSocketFactory } from '../api/ws.js';
import { useConnectionKeeper } from './use-connection-keeper.js';

export interface TerminalStreamOptions {
  /** Opens the terminal's socket, again for every reconnect. Injectable: the gateway's WebSocket by default, anything with its shape in tests. */
  connect: MachineSocketFactory;
  /** The machine runs, per the API: the stream connects (again) only then. */
  running: boolean;
  /** The connection closed without being asked to, with this close code. */
  onLost?(code: number): void;
  /** Watch only: the terminal takes no keyboard input (the gateway drops it anyway). */
  watchOnly?: boolean;
}

export interface TerminalStream {
  /** The element the terminal fills; it is fitted to it whenever the element's size changes. */
  containerRef: RefObject<HTMLDivElement | null>;
  status: ConnectionStatus;
  reconnect(): void;
  /** Moves keyboard focus into the terminal. */
  focus(): void;
  /**
   * Types `text` into the terminal as if the learner had: each line followed by Enter (`\r`).
   * False when no connection is open, so nothing was sent.
   */
  sendInput(text: string): boolean;
}

/** A dark terminal in both colour schemes, with the palette of the rest of the UI. */
const terminalOptions: ITerminalOptions = {
  cursorBlink: true,
  fontFamily: "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
  fontSize: 14,
  lineHeight: 1.15,
  scrollback: 5000,
  allowProposedApi: false,
  // Right-click selects the word under the pointer, so the browser's menu offers Copy for it.
  rightClickSelectsWord: true,
  theme: {
    background: '#0f131a',
    foreground: '#e3e7ee',
    cursor: '#8ea2ff',
    cursorAccent: '#0f131a',
    selectionBackground: '#3553d180',
    black: '#1c212a',
    red: '#ff7b72',
    green: '#6fd6a0',
    yellow: '#f0c46b',
    blue: '#8ea2ff',
    magenta: '#c4a8ff',
    cyan: '#7fd3ea',
    white: '#d5dae3',
    brightBlack: '#737c8c',
    brightRed: '#ffa198',
    brightGreen: '#8ee0b2',
    brightYellow: '#f5d48f',
    brightBlue: '#a9b8ff',
    brightMagenta: '#d7c2ff',
    brightCyan: '#a5e3f2',
    brightWhite: '#ffffff',
  },
};

/** Resets the terminal, in order with the output around it (a replayed screen must not land on the old one). */
const fullReset = '\x1bc';

/**
 * One xterm.js terminal bound to a container element, fed by whichever socket is current.
 * It outlives its sockets: a reconnect swaps the socket and the gateway replays the screen.
 */
class TerminalSession {
  readonly terminal: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly container: HTMLElement;
  private readonly observer: ResizeObserver;
  private readonly encoder = new TextEncoder();
  private socket: MachineSocket | null = null;
  private frame = 0;

  constructor(container: HTMLElement, watchOnly: boolean) {
    this.container = container;
    this.terminal = new Terminal({ ...terminalOptions, disableStdin: watchOnly });
    this.terminal.loadAddon(this.fitAddon);
    this.terminal.loadAddon(new WebLinksAddon());
    this.terminal.open(container);
    this.terminal.attachCustomKeyEventHandler((event) => this.clipboardKeys(event));
    this.terminal.onData((data) => this.send(this.encoder.encode(data)));
    // Some mouse reports are bytes, not text; each char is one byte.
    this.terminal.onBinary((data) => this.send(Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff)));
    this.terminal.onResize(() => this.sendSize());
    this.observer = new ResizeObserver(() => {
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(() => this.fit());
    });
    this.observer.observe(container);
  }

  /** Opens a socket from `connect` and makes it the terminal's; the previous one is already gone. */
  attach(connect: MachineSocketFactory, events: ConnectionEvents): KeptConnection {
    const socket = connect();
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.terminal.write(fullReset);
      this.fit();
      this.sendSize();
      events.opened();
    };
    let heard = false;
    // Output the terminal cannot draw in time is dropped and the screen asked for again, as the gateway does for a socket that falls behind.
    const feed = new TerminalFeed(
      { write: (data, parsed) => this.terminal.write(data, parsed) },
      () => socket.readyState === socketState.open && socket.send(JSON.stringify({ type: 'resync' })),
    );
    socket.onmessage = (event: MessageEvent) => {
      // Binary frames are the terminal's bytes; text frames are control messages (a resync: the screen follows).
      if (typeof event.data === 'string') return feed.control(event.data);
      if (!(event.data instanceof ArrayBuffer)) return;
      feed.output(new Uint8Array(event.data));
      if (!heard) {
        heard = true;
        // The gateway may still have been opening the machine's terminal when the socket opened,
        // and missed the size sent then; its first frame (the replayed screen) shows it listens now.
        this.sendSize();
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) this.socket = null;
      events.closed(event.code, event.reason);
    };
    return {
      close: () => {
        if (this.socket === socket) this.socket = null;
        socket.onclose = null;
        closeSocket(socket);
      },
    };
  }

  /** Fits the terminal to its container, unless the container is hidden (a tab not shown). */
  fit(): void {
    if (this.container.clientWidth === 0 || this.container.clientHeight === 0) return;
    this.fitAddon.fit();
  }

  focus(): void {
    this.terminal.focus();
  }

  /** Sends `text` line by line, each line ended with `\r` as the Enter key sends it; false when no socket is open. */
  sendInput(text: string): boolean {
    if (this.socket?.readyState !== socketState.open) return false;
    for (const line of text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')) this.send(this.encoder.encode(`${line}\r`));
    return true;
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.observer.disconnect();
    this.terminal.dispose();
  }

  private send(data: Uint8Array<ArrayBuffer>): void {
    if (this.socket?.readyState === socketState.open) this.socket.send(data);
  }

  private sendSize(): void {
    if (this.socket?.readyState !== socketState.open) return;
    this.socket.send(JSON.stringify({ type: 'resize', cols: this.terminal.cols, rows: this.terminal.rows }));
  }

  /**
   * Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes, as in desktop terminals; plain
   * Ctrl+C stays the shell's interrupt. Returning false keeps a key from the terminal.
   */
  private clipboardKeys(event: KeyboardEvent): boolean {
    if (!event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) return true;
    if (event.code === 'KeyC') {
      // Also keeps Chromium from opening its element inspector.
      event.preventDefault();
      if (event.type === 'keydown' && this.terminal.hasSelection()) void copyText(this.terminal.getSelection());
      return false;
    }
    // Not handled here: the browser pastes into the terminal's text area, which sends the text.
    if (event.code === 'KeyV') return false;
    return true;
  }
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard API (plain http on another host): the copy command works while the terminal has focus.
    document.execCommand('copy');
  }
}

/**
 * A terminal (xterm.js, fitted, with links and copy/paste) streaming one machine's PTY or serial
 * console. The terminal lives as long as the calling component; connections come and go under
 * it with reconnect and backoff, each starting with the screen the gateway replays.
 */
export function useTerminalStream({ connect, running, onLost, watchOnly = false }: TerminalStreamOptions): TerminalStream {
  const containerRef = useRef<HTMLDivElement>(null);
  const session = useRef<TerminalSession | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const created = new TerminalSession(container, watchOnly);
    session.current = created;
    setReady(true);
    return () => {
      session.current = null;
      setReady(false);
      created.dispose();
    };
  }, [watchOnly]);

  const { status, reconnect } = useConnectionKeeper(
    {
      open: (events) => {
        const current = session.current;
        if (!current) throw new Error('the terminal is not ready');
        return current.attach(connect, events);
      },
      running,
      ...(onLost && { onLost }),
    },
    ready,
  );

  const focus = useCallback(() => session.current?.focus(), []);
  const sendInput = useCallback((text: string) => session.current?.sendInput(text) ?? false, []);
  return { containerRef, status, reconnect, focus, sendInput };
}
