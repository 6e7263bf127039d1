import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalFeed, type TerminalSink } from '../../src/web/api/terminal-feed.js';

/** A terminal that draws only when the test says so. */
class SlowTerminal implements TerminalSink {
  readonly drawn: string[] = [];
  private readonly waiting: (() => void)[] = [];

  write(data: Uint8Array, parsed: () => void): void {
    this.waiting.push(() => {
      this.drawn.push(Buffer.from(data).toString());
      parsed();
    });
  }

  draw(): void {
    for (const next of this.waiting.splice(0)) next();
  }
}

const frame = (text: string) => new Uint8Array(Buffer.from(text));

test('the page draws output until its terminal falls behind, then drops it, asks once for the screen, and draws again from the resync on', () => {
  const terminal = new SlowTerminal();
  let asked = 0;
  const feed = new TerminalFeed(terminal, () => asked++, 10);
  feed.output(frame('hello'));
  feed.output(frame('world'));
  terminal.draw();
  feed.output(frame('abcde'));
  feed.output(frame('fghij'));
  // 10 bytes wait undrawn: the page is behind.
  feed.output(frame('lost1'));
  feed.output(frame('lost2'));
  assert.equal(asked, 1, 'asked once');
  terminal.draw();
  feed.output(frame('lost3'));
  feed.control('{"type":"resize"}');
  feed.control('not json');
  feed.output(frame('lost4'));
  assert.equal(asked, 1);
  feed.control('{"type":"resync"}');
  feed.output(frame('\x1bcSCREEN'));
  feed.output(frame('live'));
  terminal.draw();
  assert.deepEqual(terminal.drawn, ['hello', 'world', 'abcde', 'fghij', '\x1bcSCREEN', 'live']);
});

test('a resync the gateway sends on its own is followed as well', () => {
  const terminal = new SlowTerminal();
  const feed = new TerminalFeed(terminal, () => assert.fail('nothing to ask for'), 10);
  feed.output(frame('old'));
  feed.control('{"type":"resync"}');
  feed.output(frame('\x1bcSCREEN'));
  terminal.draw();
  assert.deepEqual(terminal.drawn, ['old', '\x1bcSCREEN']);
});
