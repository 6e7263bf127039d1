import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RfbFilterError, RfbViewOnlyFilter } from './rfb-view-only.js';

const handshake = (security: 1 | 2, shared: 0 | 1) => ({
  sent: Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([security]), security === 2 ? Buffer.alloc(16, 7) : Buffer.alloc(0), Buffer.from([shared])]),
  forwarded: Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([security]), security === 2 ? Buffer.alloc(16, 7) : Buffer.alloc(0), Buffer.from([1])]),
});

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Client messages, each with whether a viewer may send it. */
const message = fc.oneof(
  fc.uint8Array({ minLength: 19, maxLength: 19 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([0]), b]), allowed: true })),
  fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 20 }).map((encodings) => ({
    bytes: Buffer.concat([Buffer.from([2, 0]), u16(encodings.length), ...encodings.map(i32)]),
    allowed: true,
  })),
  fc.uint8Array({ minLength: 9, maxLength: 9 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([3]), b]), allowed: true })),
  fc.uint8Array({ minLength: 7, maxLength: 7 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([4]), b]), allowed: false })),
  fc.uint8Array({ minLength: 5, maxLength: 5 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([5]), b]), allowed: false })),
  fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })).map(([extended, text]) => ({
    bytes: Buffer.concat([Buffer.from([6, 0, 0, 0]), i32(extended ? -text.length : text.length), text]),
    allowed: false,
  })),
  fc.uint8Array({ minLength: 9, maxLength: 9 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([150]), b]), allowed: true })),
  fc.uint8Array({ maxLength: 64 }).map((payload) => ({ bytes: Buffer.concat([Buffer.from([248, 0, 0, 0, 0, 0, 0, 1, payload.length]), payload]), allowed: true })),
  fc.integer({ min: 2, max: 4 }).map((code) => ({ bytes: Buffer.from([250, 0, 1, code]), allowed: false })),
  fc.integer({ min: 0, max: 3 }).map((screens) => ({ bytes: Buffer.concat([Buffer.from([251, 0, 4, 0, 3, 0, screens, 0]), Buffer.alloc(16 * screens, 9)]), allowed: false })),
  fc.uint8Array({ minLength: 10, maxLength: 10 }).map((b) => ({ bytes: Buffer.concat([Buffer.from([255, 0]), b]), allowed: false })),
  fc.constantFrom(Buffer.from([255, 1, 0, 0]), Buffer.from([255, 1, 0, 1]), Buffer.from([255, 1, 0, 2, 1, 0, 0, 0, 0, 2])).map((bytes) => ({ bytes, allowed: false })),
);

/** Cuts `data` at the given fractions, as TCP and WebSocket framing might. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(data.subarray(last, point));
    last = point;
  }
  pieces.push(data.subarray(last));
  return pieces;
}

test('a viewer keeps the handshake and screen requests and loses every input message, however the stream is cut', () => {
  fc.assert(
    fc.property(fc.constantFrom<1 | 2>(1, 2), fc.constantFrom<0 | 1>(0, 1), fc.array(message, { maxLength: 40 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (security, shared, messages, cuts) => {
      const { sent, forwarded } = handshake(security, shared);
      const stream = Buffer.concat([sent, ...messages.map((m) => m.bytes)]);
      const expected = Buffer.concat([forwarded, ...messages.filter((m) => m.allowed).map((m) => m.bytes)]);
      const filter = new RfbViewOnlyFilter();
      const out = Buffer.concat(split(stream, cuts).map((piece) => filter.filter(piece)));
      assert.deepEqual(out, expected);
    }),
  );
});

test('a key event is dropped but the update request after it in the same chunk passes', () => {
  const filter = new RfbViewOnlyFilter();
  filter.filter(handshake(1, 1).sent);
  const update = Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
  const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
  assert.deepEqual(filter.filter(Buffer.concat([key, update, key])), update);
});

test('input it cannot parse ends the connection', () => {
  assert.throws(() => new RfbViewOnlyFilter().filter(Buffer.from('RFB 003.003\n')), RfbFilterError);
  assert.throws(() => new RfbViewOnlyFilter().filter(Buffer.from('HTTP/1.1 200\n')), RfbFilterError);
  const unknownSecurity = new RfbViewOnlyFilter();
  assert.throws(() => unknownSecurity.filter(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([19])])), RfbFilterError);
  const unknownMessage = new RfbViewOnlyFilter();
  unknownMessage.filter(handshake(1, 1).sent);
  assert.throws(() => unknownMessage.filter(Buffer.from([99, 0, 0, 0])), RfbFilterError);
});
