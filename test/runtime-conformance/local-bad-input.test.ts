import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { containerName } from '../../src/server/runtime/naming.js';
import { RuntimeError } from '../../src/server/runtime/runtime.js';
import { containerMachine, dataDir, engineSocket, engineWithShellImage } from './local-target.js';
import { plan } from './suite.js';

/** Bad input to the local runtime: each gives a clear error and leaves nothing behind. */
describe('local runtime: bad input', { timeout: 300_000 }, () => {
  const runtime = new LocalRuntime({ engineSocket, dataDir });
  const docker = new Docker({ socketPath: engineSocket });
  const leftovers = async (instanceId: string) => (await runtime.list()).filter((i) => i.instanceId === instanceId);

  before(async () => {
    await engineWithShellImage();
    // An image whose machine exits at once: labhub/shell with a command that fails.
    const base = await docker.createContainer({ Image: 'labhub/shell', name: 'labhub-test-exits-base' });
    await base.commit({ repo: 'labhub-test/exits', tag: 'latest', changes: 'CMD ["/bin/sh","-c","echo cannot start >&2; exit 7"]' });
    await base.remove({ force: true });
  });
  after(async () => {
    await docker.getImage('labhub-test/exits').remove({ force: true }).catch(() => {});
    await runtime.close();
  });

  test('an unknown image is refused by name, before anything is created', async () => {
    const p = plan([containerMachine('ok', 'labhub/shell'), containerMachine('web', 'nginx:latest')]);
    await assert.rejects(runtime.apply(p), (error: unknown) => error instanceof RuntimeError && error.kind === 'bad_plan' && /nginx:latest/.test(error.message) && error.machine === 'web');
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('a machine that exits at once fails the apply with its exit code and output; nothing is left', async () => {
    const p = plan([containerMachine('fine', 'labhub/shell'), containerMachine('broken', 'labhub-test/exits')]);
    await assert.rejects(runtime.apply(p), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.machine, 'broken');
      assert.match(error.message, /exit code 7/);
      assert.match(error.message, /cannot start/);
      return true;
    });
    assert.deepEqual(await leftovers(p.instanceId), []);
  });

  test('a name collision with a foreign container is refused and the foreign container is untouched', async () => {
    const p = plan([containerMachine('taken', 'labhub/shell')]);
    const foreign = await docker.createContainer({ Image: 'labhub/shell', name: containerName(p.instanceId, 'taken') });
    try {
      await assert.rejects(runtime.apply(p), (error: unknown) => error instanceof RuntimeError && error.kind === 'conflict' && /already exists/.test(error.message));
      assert.deepEqual(await leftovers(p.instanceId), []);
      assert.ok(await foreign.inspect());
    } finally {
      await foreign.remove({ force: true });
    }
  });

  test('an engine that does not answer gives a clear error', async () => {
    const nowhere = new LocalRuntime({ engineSocket: '/nonexistent/engine.sock', dataDir, startEngine: false });
    await assert.rejects(nowhere.apply(plan([containerMachine('m', 'labhub/shell')])), (error: unknown) => error instanceof RuntimeError && error.kind === 'engine_unavailable' && /nonexistent\/engine\.sock/.test(error.message));
  });

  test('terminals and ports of machines that do not exist are refused', async () => {
    await assert.rejects(runtime.openTerminal({ instanceId: 'nosuchinstance', machine: 'x' }, { cols: 80, rows: 24 }), (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found');
    await assert.rejects(runtime.openPort({ instanceId: 'nosuchinstance', machine: 'x' }, 80), (error: unknown) => error instanceof RuntimeError && error.kind === 'not_found');
  });
});
