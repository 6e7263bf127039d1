import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RuntimeError, type MachineObservation, type Progress } from '../../src/server/runtime/runtime.js';
import { eventually } from '../support/eventually.js';
import { ProcessRuntime } from '../support/process-runtime.js';
import { containerMachine } from './local-target.js';
import { plan } from './suite.js';

/** The process runtime's variants (test/support/process-runtime.ts) do what tests built on them rely on. */
describe('process runtime variants', { timeout: 120_000 }, () => {
  const plain = new ProcessRuntime();
  const variant = (v: ConstructorParameters<typeof ProcessRuntime>[0]) => new ProcessRuntime({ root: plain.root, ...v });
  after(() => plain.dispose());

  test('slow: apply reports each machine as it takes its time, then ready', async () => {
    const slow = variant({ variant: { kind: 'slow', perMachineMs: 300 } });
    const p = plan([containerMachine('one', 'labhub/shell'), containerMachine('two', 'labhub/shell')]);
    const steps: Progress[] = [];
    await slow.apply(p, (progress) => steps.push(progress));
    assert.deepEqual(
      steps.filter((s) => /slow/.test(s.message)).map((s) => s.machine),
      ['one', 'two'],
    );
    assert.equal(steps.at(-1)?.step, 'ready');
    await slow.destroy(p.instanceId);
  });

  test('failing: apply fails at the chosen machine after creating the ones before it, and leaves nothing behind', async () => {
    const failing = variant({ variant: { kind: 'failing', atMachine: 'second' } });
    const p = plan([containerMachine('first', 'labhub/shell'), containerMachine('second', 'labhub/shell'), containerMachine('third', 'labhub/shell')]);
    const steps: Progress[] = [];
    await assert.rejects(
      failing.apply(p, (progress) => steps.push(progress)),
      (error: unknown) => error instanceof RuntimeError && error.kind === 'failed' && error.machine === 'second',
    );
    assert.ok(
      steps.some((s) => s.machine === 'first' && s.step === 'start'),
      'the first machine was started before the failure',
    );
    assert.deepEqual(failing.processesOf(p.instanceId), []);
    assert.equal(
      (await failing.list()).find((i) => i.instanceId === p.instanceId),
      undefined,
    );
  });

  test('vanishing: a machine dies on its own, and observe() and list() say it failed', async () => {
    const vanishing = variant({ variant: { kind: 'vanishing', afterMs: 500 } });
    const p = plan([containerMachine('ghost', 'labhub/shell')]);
    const controller = new AbortController();
    const seen: MachineObservation[] = [];
    const watching = (async () => {
      for await (const observation of vanishing.observe(controller.signal)) {
        if (observation.instanceId !== p.instanceId) continue;
        seen.push(observation);
        if (observation.state === 'failed') break;
      }
    })();
    try {
      await vanishing.apply(p);
      await watching;
      assert.deepEqual(
        seen.map((o) => o.state),
        ['running', 'failed'],
      );
      assert.match(seen.at(-1)?.message ?? '', /killed by SIGKILL/);
      const listed = await eventually(
        'list() to show the machine failed',
        () => vanishing.list(),
        (all) => all.some((i) => i.instanceId === p.instanceId && i.machines[0]?.state === 'failed'),
      );
      assert.ok(listed);
    } finally {
      controller.abort();
      await vanishing.destroy(p.instanceId);
      await vanishing.close();
    }
  });
});
