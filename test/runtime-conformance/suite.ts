import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { newInstanceId } from '../../src/server/runtime/naming.js';
import { RuntimeError, type InstancePlan, type MachineObservation, type MachinePlan, type MachineRef, type Runtime } from '../../src/server/runtime/runtime.js';
import { eventually } from '../support/eventually.js';
import { readScreen } from './rfb.js';

/**
 * The runtime conformance suite (docs/architecture.md §3): every runtime passes it unchanged.
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
  /**
   * A VM machine booting labhub's `tiny` disk (busybox, a root shell on the serial console and the
   * VGA screen), with 256 MiB of RAM; absent for runtimes that run no VMs. With it, the suite also
   * runs its VM checks on an instance of that VM and a shell container.
   */
  vmMachine?(name: string): MachinePlan;
  /**
   * Container cases this runtime cannot run, each with the reason the suite gives when it skips
   * them. Only a test double may declare any (test/support/process-runtime.ts): labhub's own
   * runtimes run every case.
   */
  unsupported?: Partial<Record<'network' | 'vnc', string>>;
}

export function plan(machines: MachinePlan[], egress: 'allow' | 'deny' = 'deny'): InstancePlan {
  // An installation no labhub has: no test server's reconciler ever collects these.
  return { installation: 'conformance', instanceId: newInstanceId(), owner: 'conformance', lab: { name: 'conformance', version: 1 }, network: { egress }, machines };
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
    // A channel that fails (e.g. a port-forward to a desktop not listening yet) rejects instead of throwing unhandled.
    const onError = (error: Error) => done(() => reject(error));
    const done = (fn: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('error', onError);
      fn();
    };
    stream.on('data', onData);
    stream.on('error', onError);
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

/** A shell prompt at the end of the output (busybox ash asks for the cursor position after it). */
const prompt = /[#$] (\x1b\[6n)?$/;

/** A serial console session, once its shell shows a prompt, that runs commands and waits for their output. */
export async function openConsole(runtime: Runtime, ref: MachineRef) {
  const { stream } = await runtime.openTerminal(ref, { cols: 120, rows: 40 });
  await readUntil(stream, prompt, 30_000).catch((error: unknown) => {
    stream.destroy();
    throw error;
  });
  return {
    stream,
    async run(command: string, expect: RegExp, timeoutMs = 20_000): Promise<string> {
      const output = readUntil(stream, expect, timeoutMs);
      stream.write(`${command}\r`);
      return output;
    },
    close: () => stream.destroy(),
  };
}

/** The IPv4 address a container machine has on its network, read from eth0 inside it (not through DNS). */
export async function ownAddress(runtime: Runtime, ref: MachineRef): Promise<string> {
  const result = await runtime.exec(ref, ['sh', '-c', `ip -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print "ip=" a[1]}'`]);
  const address = /ip=(\d+\.\d+\.\d+\.\d+)/.exec(result.output)?.[1];
  assert.ok(address, `${ref.machine} has an IPv4 address on eth0: ${result.output}`);
  return address;
}

/** The address `name` resolves to inside a container machine (the instance network's DNS), or undefined when it does not resolve. */
export async function resolvedAddress(runtime: Runtime, ref: MachineRef, name: string): Promise<string | undefined> {
  const result = await runtime.exec(ref, ['sh', '-c', `getent hosts ${name} | awk '{print "ip=" $1}'`]);
  return /ip=(\d+\.\d+\.\d+\.\d+)/.exec(result.output)?.[1];
}

/**
 * The machine's screen sends a framebuffer update (a paused or hung VNC server sends none). The
 * first connection right after a start can come before the server listens: a few tries.
 */
async function drawsScreen(runtime: Runtime, ref: MachineRef): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    let vnc: Duplex | undefined;
    try {
      vnc = await runtime.openVnc(ref);
      const screen = await readScreen(vnc);
      assert.equal(screen.pixels.length, screen.width * screen.height * 4);
      assert.ok(screen.width > 0 && screen.height > 0);
      return;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      vnc?.destroy();
    }
  }
  assert.fail(`the screen of ${ref.machine} drew nothing: ${String(last)}`);
}

export function runtimeConformance(target: ConformanceTarget): void {
  containerConformance(target);
  const vmMachine = target.vmMachine?.bind(target);
  if (vmMachine) vmConformance(target, vmMachine);
}

function containerConformance(target: ConformanceTarget): void {
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
      // A resize reaches the PTY asynchronously, as a window change does: ask until the new size shows.
      const asking = setInterval(() => terminal.stream.write('stty size\r'), 500);
      try {
        await terminal.resize({ cols: 132, rows: 43 });
        terminal.stream.write('stty size\r');
        await readUntil(terminal.stream, /43 132/);
      } finally {
        clearInterval(asking);
        terminal.stream.destroy();
      }
    });

    test('machines of one instance resolve each other by name, to the address each has, both ways', async (t) => {
      if (target.unsupported?.network) return t.skip(target.unsupported.network);
      // Each name must resolve (DNS of the instance network) to the address the machine itself has on eth0.
      for (const [from, to] of [['alpha', 'beta'], ['beta', 'alpha']] as const) {
        assert.equal(await resolvedAddress(runtime, ref(a, from), to), await ownAddress(runtime, ref(a, to)), `${from} resolves ${to}`);
        const reached = await runtime.exec(ref(a, from), ['sh', '-c', `ping -c1 -W3 ${to} >/dev/null && echo reached-$((6*7))`]);
        assert.match(reached.output, /reached-42/, `${from} pings ${to}: ${reached.output}`);
      }
    });

    test('another instance cannot reach them', async (t) => {
      if (target.unsupported?.network) return t.skip(target.unsupported.network);
      const address = await ownAddress(runtime, ref(a, 'beta'));
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

    test('pause freezes and resume continues', async (t) => {
      if (!runtime.capabilities().pause) return t.skip('its capabilities say it cannot pause');
      await runtime.setPower(a.instanceId, 'paused');
      const paused = (await runtime.list()).find((i) => i.instanceId === a.instanceId);
      assert.ok(paused?.machines.every((m) => m.state === 'paused'), JSON.stringify(paused));
      await runtime.setPower(a.instanceId, 'running');
      await runInTerminal(runtime, ref(a, 'beta'), 'echo resumed-$((1+1))', /resumed-2/);
    });

    test('pause, then apply (how the instances service resumes): the terminal answers and the desktop draws again', async (t) => {
      if (!runtime.capabilities().pause) return t.skip('its capabilities say it cannot pause');
      // A target without screens still shows that both machines resume; the screen part is then skipped (its reason is printed).
      const screens = !target.unsupported?.vnc;
      if (!screens) t.diagnostic(`screen not checked: ${target.unsupported?.vnc ?? ''}`);
      const both = plan([target.shellMachine('term'), target.desktopMachine('screen')]);
      await runtime.apply(both);
      try {
        if (screens) await drawsScreen(runtime, ref(both, 'screen'));
        await runtime.setPower(both.instanceId, 'paused');
        const paused = (await runtime.list()).find((i) => i.instanceId === both.instanceId);
        assert.deepEqual(paused?.machines.map((m) => `${m.name}:${m.state}`).sort(), ['screen:paused', 'term:paused']);
        await runtime.apply(both);
        const resumed = (await runtime.list()).find((i) => i.instanceId === both.instanceId);
        assert.deepEqual(resumed?.machines.map((m) => `${m.name}:${m.state}`).sort(), ['screen:running', 'term:running']);
        // A computed marker: the echo of the typed command shows "$((20+22))", never "42".
        for (const machine of ['term', 'screen']) await runInTerminal(runtime, ref(both, machine), 'echo resumed-$((20+22))-$(hostname)', new RegExp(`resumed-42-${machine}`));
        if (screens) await drawsScreen(runtime, ref(both, 'screen'));
      } finally {
        await runtime.destroy(both.instanceId);
      }
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

    test('openVnc on a desktop machine answers RFB 003.008', async (t) => {
      if (target.unsupported?.vnc) return t.skip(target.unsupported.vnc);
      const desktop = plan([target.desktopMachine('screen')]);
      await runtime.apply(desktop);
      try {
        // The desktop's VNC server comes up a moment after its container does.
        const readBanner = async () => {
          const vnc = await runtime.openVnc(ref(desktop, 'screen'));
          try {
            return await readUntil(vnc, /RFB \d{3}\.\d{3}\n/, 5000);
          } finally {
            vnc.destroy();
          }
        };
        const banner = await eventually('an RFB banner from the desktop', readBanner, (seen) => seen !== '', { timeoutMs: 120_000, intervalMs: 200 });
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

/**
 * The VM checks: one instance of a tiny VM ("vm") and a shell container ("peer"), booted once and
 * shared by the checks, which run in order (pause, stop and reset come last).
 */
function vmConformance(target: ConformanceTarget, vmMachine: (name: string) => MachinePlan): void {
  describe(`runtime conformance, VMs: ${target.name}`, { timeout: 600_000 }, () => {
    let runtime: Runtime;
    const p = plan([vmMachine('vm'), target.shellMachine('peer')]);
    const vm: MachineRef = { instanceId: p.instanceId, machine: 'vm' };
    const peer: MachineRef = { instanceId: p.instanceId, machine: 'peer' };
    const steps: string[] = [];

    before(async () => {
      runtime = await target.runtime();
      const started = Date.now();
      await runtime.apply(p, (progress) => steps.push(`${progress.step}:${progress.message}`));
      // Timings belong in bench/, not in pass/fail: this one is only reported.
      console.log(`# VM instance from apply() to booted: ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(runtime.capabilities())})`);
    });

    after(async () => {
      await runtime.destroy(p.instanceId);
      await runtime.close();
    });

    test('apply boots the VM next to the container; list() shows both running; capabilities say VMs work', async () => {
      assert.ok(steps.some((step) => step.startsWith('ready:')), steps.join(' | '));
      assert.equal(runtime.capabilities().vm, true);
      const found = (await runtime.list()).find((instance) => instance.instanceId === p.instanceId);
      assert.deepEqual(found?.machines.map((m) => `${m.name}:${m.state}`).sort(), ['peer:running', 'vm:running']);
      assert.match(found?.machines.find((m) => m.name === 'vm')?.message ?? '', /running \((TCG|KVM)/);
    });

    test('serial console round trip; resize is accepted', async () => {
      const terminal = await runtime.openTerminal(vm, { cols: 80, rows: 24 });
      try {
        await terminal.resize({ cols: 132, rows: 43 });
        const output = readUntil(terminal.stream, /hi-42 vm/);
        terminal.stream.write('echo hi-$((6*7)) $(hostname)\r');
        await output;
      } finally {
        terminal.stream.destroy();
      }
    });

    test('the VM has the planned memory', async () => {
      const serial = await openConsole(runtime, vm);
      try {
        const output = await serial.run("awk '/MemTotal/ {print \"mem=\" $2 \"kB\"}' /proc/meminfo", /mem=\d+kB/);
        const kib = Number(/mem=(\d+)kB/.exec(output)?.[1]);
        const planned = (p.machines[0]?.resources.memoryBytes ?? 0) / 1024;
        assert.ok(kib > planned * 0.7 && kib <= planned, `MemTotal ${kib} KiB for ${planned} KiB planned`);
      } finally {
        serial.close();
      }
    });

    test('openVnc: RFB 003.008 and a framebuffer update with real pixels', async () => {
      let colours = 0;
      for (let attempt = 0; attempt < 10 && colours < 2; attempt++) {
        const vnc = await runtime.openVnc(vm);
        try {
          const screen = await readScreen(vnc);
          assert.equal(screen.version, 'RFB 003.008');
          assert.ok(screen.width > 0 && screen.height > 0);
          assert.equal(screen.pixels.length, screen.width * screen.height * 4);
          colours = screen.colours;
        } finally {
          vnc.destroy();
        }
        if (colours < 2) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      assert.ok(colours >= 2, 'the screen shows more than one colour');
    });

    test('the VM resolves the container by name and the container the VM, each to the address the other has', async () => {
      const peerAddress = await ownAddress(runtime, peer);
      const serial = await openConsole(runtime, vm);
      let vmAddress: string | undefined;
      let peerFromVm: string | undefined;
      try {
        // Printed by awk from what the VM computed, so the echo of the typed command cannot match.
        const own = await serial.run(`ip -4 addr show dev eth0 | awk '/inet /{split($2, a, "/"); print "vm" "-ip=" a[1]}'`, /vm-ip=\d+\.\d+\.\d+\.\d+/);
        vmAddress = /vm-ip=(\d+\.\d+\.\d+\.\d+)/.exec(own)?.[1];
        // Waits for a computed end marker, not a prompt: the previous command's prompt may still be on its way.
        const resolved = await serial.run(`ping -c1 -W3 peer | awk -F'[()]' '/^PING/{print "peer" "-ip=" $2} /1 packets received|1 received/{print "peer" "-reached=" 6*7}'; echo ping-done-$((40+2))`, /ping-done-42/);
        peerFromVm = /peer-ip=(\d+\.\d+\.\d+\.\d+)/.exec(resolved)?.[1];
        assert.match(resolved, /peer-reached=42/, `the VM pings peer: ${JSON.stringify(resolved.slice(-300))}`);
      } finally {
        serial.close();
      }
      assert.equal(peerFromVm, peerAddress, 'the VM resolves "peer" to the container\'s address');
      assert.ok(vmAddress, 'the VM has an address on eth0');
      assert.equal(await resolvedAddress(runtime, peer, 'vm'), vmAddress, 'the container resolves "vm" to the VM\'s address');
      const reached = await runtime.exec(peer, ['sh', '-c', 'ping -c1 -W3 vm >/dev/null && echo reached-$((6*7))']);
      assert.match(reached.output, /reached-42/, reached.output);
    });

    test('openPort reaches a TCP port of the VM', async () => {
      const serial = await openConsole(runtime, vm);
      try {
        await serial.run('mkdir -p /tmp/www && echo served-$((40+2)) >/tmp/www/index.html && httpd -p 8080 -h /tmp/www && echo httpd-$((1+1))-up', /httpd-2-up/);
      } finally {
        serial.close();
      }
      const socket = await runtime.openPort(vm, 8080);
      try {
        const response = readUntil(socket, /served-42/, 10_000);
        socket.write('GET / HTTP/1.0\r\n\r\n');
        assert.match(await response, /^HTTP\/1\.[01] 200/);
      } finally {
        socket.destroy();
      }
    });

    test('exec on a VM follows the capability', async () => {
      if (runtime.capabilities().vmExec) {
        const result = await runtime.exec(vm, ['sh', '-c', 'echo in-vm']);
        assert.match(result.output, /in-vm/);
        return;
      }
      await assert.rejects(runtime.exec(vm, ['true']), (error: unknown) => error instanceof RuntimeError && error.kind === 'unsupported' && error.machine === 'vm');
    });

    test('pause freezes the VM (its console stays silent) and resume continues it; observe() reports both', async () => {
      const controller = new AbortController();
      const seen: MachineObservation[] = [];
      const watching = (async () => {
        for await (const observation of runtime.observe(controller.signal)) {
          if (observation.instanceId !== p.instanceId || observation.machine !== 'vm') continue;
          seen.push(observation);
          if (observation.state === 'running' && seen.some((o) => o.state === 'paused')) break;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const serial = await openConsole(runtime, vm);
      try {
        await serial.run('echo ready-$((2+2))', /ready-4/);
        await runtime.setPower(p.instanceId, 'paused');
        const paused = (await runtime.list()).find((i) => i.instanceId === p.instanceId);
        assert.ok(paused?.machines.every((m) => m.state === 'paused'), JSON.stringify(paused));
        const answer = readUntil(serial.stream, /resumed-5/, 30_000);
        answer.catch(() => {});
        serial.stream.write('echo resumed-$((2+3))\r');
        const early = await Promise.race([answer.then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('silent'), 2000))]);
        assert.equal(early, 'silent', 'a paused VM does not answer');
        await runtime.setPower(p.instanceId, 'running');
        await answer;
      } finally {
        serial.close();
      }
      const deadline = setTimeout(() => controller.abort(), 10_000);
      await watching;
      clearTimeout(deadline);
      controller.abort();
      assert.deepEqual(seen.map((o) => o.state).slice(-2), ['paused', 'running']);
    });

    test('pause, then apply (how the instances service resumes): the console answers and the screen draws again', async () => {
      await runtime.setPower(p.instanceId, 'paused');
      const paused = (await runtime.list()).find((i) => i.instanceId === p.instanceId);
      assert.deepEqual(paused?.machines.map((m) => `${m.name}:${m.state}`).sort(), ['peer:paused', 'vm:paused']);
      await runtime.apply(p);
      const resumed = (await runtime.list()).find((i) => i.instanceId === p.instanceId);
      assert.deepEqual(resumed?.machines.map((m) => `${m.name}:${m.state}`).sort(), ['peer:running', 'vm:running']);
      const serial = await openConsole(runtime, vm);
      try {
        await serial.run('echo resumed-$((30+12))', /resumed-42/);
      } finally {
        serial.close();
      }
      await runInTerminal(runtime, peer, 'echo resumed-$((30+12))-$(hostname)', /resumed-42-peer/);
      await drawsScreen(runtime, vm);
    });

    test('a file written in the VM survives stop/start and is gone after reset', async () => {
      let serial = await openConsole(runtime, vm);
      try {
        await serial.run('echo kept-$((40+2)) >/root/marker && sync && echo written-$((1+1))', /written-2/);
      } finally {
        serial.close();
      }
      await runtime.setPower(p.instanceId, 'stopped');
      const stopped = (await runtime.list()).find((i) => i.instanceId === p.instanceId);
      assert.ok(stopped?.machines.every((m) => m.state === 'stopped'), JSON.stringify(stopped));
      await assert.rejects(runtime.openTerminal(vm, { cols: 80, rows: 24 }), /not running/);
      await runtime.setPower(p.instanceId, 'running');
      serial = await openConsole(runtime, vm);
      try {
        await serial.run('cat /root/marker', /kept-42/);
      } finally {
        serial.close();
      }
      await runtime.reset(p.instanceId, p, 'vm');
      serial = await openConsole(runtime, vm);
      try {
        const output = await serial.run('cat /root/marker 2>/dev/null || echo gone-$((1+1))', /gone-2|kept-42/);
        assert.match(output, /gone-2/);
      } finally {
        serial.close();
      }
    });

    test('destroy leaves nothing of the VM behind', async () => {
      const short = plan([vmMachine('brief')]);
      await runtime.apply(short);
      await runtime.destroy(short.instanceId);
      await runtime.destroy(short.instanceId);
      assert.deepEqual(await target.leftovers(short.instanceId), []);
      assert.equal((await runtime.list()).find((i) => i.instanceId === short.instanceId), undefined);
    });
  });
}
