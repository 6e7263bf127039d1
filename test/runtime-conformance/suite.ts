import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { newInstanceId } from '../../src/server/runtime/naming.js';
import type { InstancePlan, MachinePlan, MachineRef, Runtime } from '../../src/server/runtime/runtime.js';

/**
 * The runtime conformance suite (DESIGN.md §3): every runtime passes it unchanged.
 * `target` gives a runtime and what it should run; the suite does the rest through the
 * Runtime interface only.
 */
export interface ConformanceTarget {
  name: string;
  runtime(): Promise<Runtime>;
  /** The terminal-only and desktop container machines this runtime can run. */
  shellMachine(name: string): MachinePlan;
  desktopMachine(name: string): MachinePlan;
  /** Objects still labelled with the instance, as the backend sees them (empty after destroy). */
  leftovers(instanceId: string): Promise<string[]>;
  /** Effective memory limit in bytes of a running machine, read back from the backend. */
  memoryLimit(ref: MachineRef): Promise<number>;
}

export function plan(machines: MachinePlan[], egress: 'allow' | 'deny' = 'deny'): InstancePlan {
  return { instanceId: newInstanceId(), owner: 'conformance', lab: { name: 'conformance', version: 1 }, network: { egress }, machines };
}

/** Reads from a stream until `pattern` shows up; fails with what it saw after `timeoutMs`. */
export function readUntil(stream: Duplex, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (pattern.test(seen)) done(() => resolve(seen));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}; saw: ${JSON.stringify(seen.slice(-500))}`))), timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData);
      fn();
    };
    stream.on('data', onData);
  });
}

/** Types `command` into a terminal and waits for `expect` in the output. */
export async function runInTerminal(runtime: Runtime, ref: MachineRef, command: string, expect: RegExp): Promise<string> {
  const { stream } = await runtime.openTerminal(ref, { cols: 120, rows: 40 });
  try {
    stream.write(`${command}\r`);
    return await readUntil(stream, expect);
  } finally {
    stream.destroy();
  }
}

export function runtimeConformance(target: ConformanceTarget): void {
  describe(`runtime conformance: ${target.name}`, { timeout: 600_000 }, () => {
    let runtime: Runtime;
    const a = plan([target.shellMachine('alpha'), target.shellMachine('beta')]);
    const other = plan([target.shellMachine('gamma')]);
    const ref = (p: InstancePlan, machine: string): MachineRef => ({ instanceId: p.instanceId, machine });

    before(async () => {
      runtime = await target.runtime();
      const steps: string[] = [];
      await runtime.apply(a, (progress) => steps.push(progress.step));
      assert.ok(steps.includes('ready'), `progress ends with ready: ${steps.join(',')}`);
      await runtime.apply(other);
    });

    after(async () => {
      await runtime.destroy(a.instanceId);
      await runtime.destroy(other.instanceId);
      await runtime.close();
    });

    test('apply is idempotent and list() finds the instance by its labels', async () => {
      await runtime.apply(a);
      const found = (await runtime.list()).find((instance) => instance.instanceId === a.instanceId);
      assert.ok(found);
      assert.equal(found.owner, 'conformance');
      assert.deepEqual(found.machines.map((m) => `${m.name}:${m.state}`).sort(), ['alpha:running', 'beta:running']);
    });

    test('terminal round trip on each machine, and resize reaches the PTY', async () => {
      for (const machine of ['alpha', 'beta']) {
        const output = await runInTerminal(runtime, ref(a, machine), 'echo hi-$((6*7)) $(hostname)', new RegExp(`hi-42 ${machine}`));
        assert.match(output, /hi-42/);
      }
      const terminal = await runtime.openTerminal(ref(a, 'alpha'), { cols: 80, rows: 24 });
      try {
        await terminal.resize({ cols: 132, rows: 43 });
        terminal.stream.write('stty size\r');
        await readUntil(terminal.stream, /43 132/);
      } finally {
        terminal.stream.destroy();
      }
    });

    test('machines of one instance reach each other by name', async () => {
      const result = await runtime.exec(ref(a, 'alpha'), ['sh', '-c', 'ping -c1 -W3 beta && getent hosts beta']);
      assert.equal(result.exitCode, 0, result.output);
    });

    test('another instance cannot reach them', async () => {
      const address = (await runtime.exec(ref(a, 'beta'), ['sh', '-c', "hostname -i | awk '{print $1}'"])).output.trim();
      assert.match(address, /^\d+\.\d+\.\d+\.\d+$/);
      const byName = await runtime.exec(ref(other, 'gamma'), ['sh', '-c', 'ping -c1 -W2 beta']);
      assert.notEqual(byName.exitCode, 0, byName.output);
      const byAddress = await runtime.exec(ref(other, 'gamma'), ['sh', '-c', `ping -c1 -W2 ${address}`]);
      assert.notEqual(byAddress.exitCode, 0, byAddress.output);
    });

    test('exec reports exit codes and output, and times out cleanly', async () => {
      const ok = await runtime.exec(ref(a, 'alpha'), ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(ok.exitCode, 3);
      assert.match(ok.output, /out/);
      assert.match(ok.output, /err/);
      const slow = await runtime.exec(ref(a, 'alpha'), ['sleep', '30'], { timeoutMs: 1000 });
      assert.equal(slow.timedOut, true);
    });

    test('limits from the plan are applied', async () => {
      const machine = a.machines[0];
      assert.ok(machine);
      assert.equal(await target.memoryLimit(ref(a, 'alpha')), machine.resources.memoryBytes);
    });

    test('stop/start keeps a written file; reset loses it', async () => {
      await runtime.exec(ref(a, 'alpha'), ['sh', '-c', 'echo kept > /root/marker']);
      await runtime.setPower(a.instanceId, 'stopped');
      const stopped = (await runtime.list()).find((i) => i.instanceId === a.instanceId);
      assert.ok(stopped?.machines.every((m) => m.state === 'stopped'), JSON.stringify(stopped));
      await assert.rejects(runtime.openTerminal(ref(a, 'alpha'), { cols: 80, rows: 24 }), /not running/);
      await runtime.setPower(a.instanceId, 'running');
      assert.equal((await runtime.exec(ref(a, 'alpha'), ['cat', '/root/marker'])).output.trim(), 'kept');
      await runtime.reset(a.instanceId, a, 'alpha');
      const afterReset = await runtime.exec(ref(a, 'alpha'), ['sh', '-c', 'cat /root/marker || echo gone']);
      assert.match(afterReset.output, /gone/);
    });

    test('pause freezes and resume continues', async () => {
      if (!runtime.capabilities().pause) return;
      await runtime.setPower(a.instanceId, 'paused');
      const paused = (await runtime.list()).find((i) => i.instanceId === a.instanceId);
      assert.ok(paused?.machines.every((m) => m.state === 'paused'), JSON.stringify(paused));
      await runtime.setPower(a.instanceId, 'running');
      await runInTerminal(runtime, ref(a, 'beta'), 'echo resumed-$((1+1))', /resumed-2/);
    });

    test('observe() reports state changes as they happen', async () => {
      const controller = new AbortController();
      const seen: string[] = [];
      const watching = (async () => {
        for await (const observation of runtime.observe(controller.signal)) {
          if (observation.instanceId !== other.instanceId) continue;
          seen.push(observation.state);
          if (observation.state === 'running' && seen.includes('paused')) break;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await runtime.setPower(other.instanceId, 'paused');
      await runtime.setPower(other.instanceId, 'running');
      const deadline = setTimeout(() => controller.abort(), 20_000);
      await watching;
      clearTimeout(deadline);
      controller.abort();
      assert.deepEqual(seen.slice(-2), ['paused', 'running']);
    });

    test('openVnc on a desktop machine answers RFB 003.008', async () => {
      const desktop = plan([target.desktopMachine('screen')]);
      await runtime.apply(desktop);
      try {
        let banner = '';
        for (let attempt = 0; attempt < 50 && !banner; attempt++) {
          try {
            const vnc = await runtime.openVnc(ref(desktop, 'screen'));
            banner = await readUntil(vnc, /RFB \d{3}\.\d{3}\n/, 5000);
            vnc.destroy();
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        assert.equal(banner, 'RFB 003.008\n');
      } finally {
        await runtime.destroy(desktop.instanceId);
      }
    });

    test('destroy leaves nothing labelled with the instance, and is idempotent', async () => {
      const short = plan([target.shellMachine('temp')]);
      await runtime.apply(short);
      await runtime.destroy(short.instanceId);
      await runtime.destroy(short.instanceId);
      assert.deepEqual(await target.leftovers(short.instanceId), []);
      assert.equal((await runtime.list()).find((i) => i.instanceId === short.instanceId), undefined);
    });
  });
}
