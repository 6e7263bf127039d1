import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecOutputCollector } from './demux.js';

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

test('frames split anywhere are reassembled, stdout and stderr interleaved', () => {
  const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops '), frame(1, 'world')]);
  for (let cut = 0; cut <= all.length; cut++) {
    const collector = new ExecOutputCollector(1024);
    collector.push(all.subarray(0, cut));
    collector.push(all.subarray(cut));
    assert.equal(collector.text(), 'hello oops world');
  }
});

test('output beyond the limit is dropped and marked', () => {
  const collector = new ExecOutputCollector(4);
  collector.push(frame(1, 'abcdef'));
  assert.equal(collector.text(), 'abcd\n[output truncated]');
});
