/**
 * Bytes the page's terminal may have been handed and not drawn yet. Past this it drops output
 * and asks the gateway for the screen instead: xterm.js throws away everything once 50 MB wait
 * (its WriteBuffer), and a terminal that far behind shows the past anyway.
 */
export const unparsedLimit = 8 * 1024 * 1024;

/** Where the output goes: an xterm.js terminal (`write(data, callback)` calls back once drawn). */
export interface TerminalSink {
  write(data: Uint8Array, parsed: () => void): void;
}

/**
 * The frames of one terminal socket, for the page's terminal (docs/architecture.md §8): binary
 * frames are output; the text frame `{"type":"resync"}` says the next binary frame is the whole
 * screen again (starting with a reset). When the page's terminal falls behind, this drops
 * output, asks for the screen (`askForScreen`, which sends `{"type":"resync"}`) and draws
 * nothing until the gateway's resync comes. One feed per socket.
 */
export class TerminalFeed {
  private unparsed = 0;
  private awaitingScreen = false;

  constructor(
    private readonly sink: TerminalSink,
    private readonly askForScreen: () => void,
    private readonly limit = unparsedLimit,
  ) {}

  /** A binary frame. */
  output(data: Uint8Array): void {
    if (this.awaitingScreen) return;
    if (this.unparsed >= this.limit) {
      this.awaitingScreen = true;
      this.askForScreen();
      return;
    }
    const bytes = data.length;
    this.unparsed += bytes;
    this.sink.write(data, () => (this.unparsed -= bytes));
  }

  /** A text frame: a control message from the gateway. Unknown ones are ignored (newer gateways may send more). */
  control(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'resync') this.awaitingScreen = false;
  }
}
