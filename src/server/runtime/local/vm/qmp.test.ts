import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { QmpClient, QmpError, type QmpEvent } from './qmp.js';

/** A stand-in for QEMU's QMP socket: answers each command with `reply(command)`, split into small chunks. */
function fakeQemu(reply: (command: { execute: string; id: number }) => object[], greeting = true) {
  const commands: string[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const command = JSON.parse(line) as { execute: string; id: number };
        commands.push(command.execute);
        for (const message of reply(command)) send(message);
      }
      callback();
    },
  });
  // QEMU ends lines with \r\n; the pieces arrive in arbitrary chunks.
  const send = (message: object) => {
    const text = `${JSON.stringify(message)}\r\n`;
    for (let i = 0; i < text.length; i += 7) stream.push(text.slice(i, i + 7));
  };
  if (greeting) setImmediate(() => send({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } }));
  return { stream, commands, send };
}

test('negotiates capabilities, runs commands matched by id, and passes events on', async () => {
  const qemu = fakeQemu(({ execute, id }) => {
    if (execute === 'query-status') return [{ event: 'RESUME', timestamp: {} }, { return: { status: 'running', running: true }, id }];
    return [{ return: {}, id }];
  });
  const qmp = await QmpClient.connect(qemu.stream);
  const events: QmpEvent[] = [];
  qmp.onEvent((event) => events.push(event));
  assert.deepEqual(await qmp.execute('query-status'), { status: 'running', running: true });
  assert.deepEqual(qemu.commands, ['qmp_capabilities', 'query-status']);
  assert.deepEqual(events, [{ event: 'RESUME' }]);
  qmp.close();
});

test('a refused command rejects with QEMU error class and words', async () => {
  const qemu = fakeQemu(({ execute, id }) => (execute === 'qmp_capabilities' ? [{ return: {}, id }] : [{ error: { class: 'CommandNotFound', desc: 'The command nosuch has not been found' }, id }]));
  const qmp = await QmpClient.connect(qemu.stream);
  await assert.rejects(qmp.execute('nosuch'), (error: unknown) => error instanceof QmpError && error.errorClass === 'CommandNotFound' && /nosuch/.test(error.message));
  qmp.close();
});

test('no greeting (another client holds QMP) times out; a closed connection rejects pending commands and settles `closed`', async () => {
  await assert.rejects(QmpClient.connect(fakeQemu(() => [], false).stream, 100), /no QMP greeting/);
  const qemu = fakeQemu(({ execute, id }) => (execute === 'qmp_capabilities' ? [{ return: {}, id }] : []));
  const qmp = await QmpClient.connect(qemu.stream);
  const pending = qmp.execute('quit');
  qemu.stream.destroy();
  await assert.rejects(pending, /closed/);
  assert.match((await qmp.closed).message, /closed/);
});
