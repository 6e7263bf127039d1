/**
 * images/debian/runtime-check.ts — starts a lab VM with `disk: { image: debian }` through the
 * local runtime, end to end, and times it (root, Podman; run from the repository root):
 *
 *   npx tsx images/debian/runtime-check.ts [--data DIR] [--memory MIB]
 *
 * DIR (default /var/tmp/labhub-debian-runtime) is the runtime's data dir: without
 * `DIR/images/debian.qcow2` the runtime builds the disk on first use (a few minutes, shown as
 * progress). The instance is a `debian` VM (1 vCPU, 1 GiB, cloud-init user-data that writes
 * /root/seeded) and a labhub/shell container. Checks: apply() boots the VM; its serial console
 * (openTerminal) gives a root shell that knows its hostname, ran the user-data and pings the
 * container by name; the container pings the VM by name (exec); openVnc shows a screen of many
 * colours (the graphical session); stop powers the VM off (ACPI, systemd); destroy leaves no
 * container. Prints the times; exits 0 when all passed. Not part of `npm test`: a first build
 * takes minutes. The image itself is checked in more depth by images/debian/verify.sh.
 */
import { execFileSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { defaultEngineSocket } from '../../src/server/runtime/local/engine.js';
import { newInstanceId } from '../../src/server/runtime/naming.js';
import type { InstancePlan, MachineRef } from '../../src/server/runtime/runtime.js';
import { readScreen } from '../../test/runtime-conformance/rfb.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return (at >= 0 ? args[at + 1] : undefined) ?? fallback;
};
const dataDir = option('--data', '/var/tmp/labhub-debian-runtime');
const memoryMib = Number(option('--memory', '1024'));

const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
let failures = 0;
const ok = (what: string) => console.log(`${clock()}  ok    ${what}`);
const fail = (what: string) => {
  failures++;
  console.log(`${clock()}  FAIL  ${what}`);
};

/** Reads `stream` until `pattern` matches what came since the call, or fails after `timeoutMs`. */
function readUntil(stream: Duplex, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (pattern.test(seen)) done(() => resolve(seen));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s; saw ${JSON.stringify(seen.slice(-300))}`))), timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData);
      settle();
    };
    stream.on('data', onData);
  });
}

const instanceId = newInstanceId();
const plan: InstancePlan = {
  installation: 'debian-runtime-check',
  instanceId,
  owner: 'debian-runtime-check',
  lab: { name: 'debian-runtime-check', version: 1 },
  network: { egress: 'deny' },
  machines: [
    {
      name: 'debian',
      type: 'vm',
      disk: { image: 'debian' },
      resources: { cpuMillis: 1000, memoryBytes: memoryMib * 1024 * 1024 },
      env: {},
      httpPorts: [],
      cloudInit: { userData: '#cloud-config\nruncmd:\n  - [sh, -c, "echo seeded > /root/seeded"]\n' },
    },
    { name: 'shell', type: 'container', image: 'labhub/shell', resources: { cpuMillis: 500, memoryBytes: 256 * 1024 * 1024 }, env: {}, httpPorts: [], vncPort: null },
  ],
};
const vm: MachineRef = { instanceId, machine: 'debian' };
const runtime = new LocalRuntime({ engineSocket: process.env.LABHUB_ENGINE_SOCKET ?? defaultEngineSocket, dataDir });

try {
  console.log(`instance ${instanceId}, data dir ${dataDir}, VM memory ${memoryMib} MiB`);
  let bootFrom = 0;
  await runtime.apply(plan, (progress) => {
    if (progress.step === 'start' && progress.machine === 'debian') bootFrom = Date.now();
    console.log(`${clock()}  progress ${progress.machine ? `${progress.machine}: ` : ''}${progress.message}`);
  });
  const bootSeconds = ((Date.now() - bootFrom) / 1000).toFixed(1);
  ok(`apply() returned: the VM booted ${bootSeconds} s after its launcher was started`);

  const terminal = await runtime.openTerminal(vm, { cols: 120, rows: 40 });
  const prompt = /root@debian:[^\n]*# (\x1b\[[0-9;?]*[A-Za-z])*$/;
  try {
    await readUntil(terminal.stream, prompt, 180_000);
    ok(`serial console: a root shell ${((Date.now() - bootFrom) / 1000).toFixed(1)} s after the launcher was started`);
    // The pattern needs the shell's arithmetic (42), so the echo of the typed command does not match.
    const output = readUntil(terminal.stream, /result\|[^\n]*\|42\|end/, 120_000);
    // runcmd (cloud-init's last stage) may still be running when the shell appears: wait for it.
    terminal.stream.write('echo "result|$(hostname)|$(cloud-init status --wait >/dev/null 2>&1; cat /root/seeded 2>&1)|$(ping -c1 -W3 shell >/dev/null && echo ping-ok)|$((6*7))|end"\r');
    const line = /result\|([^\n]*)\|42\|end/.exec(await output)?.[1] ?? '';
    const [hostname, seeded, ping] = line.split('|');
    if (hostname === 'debian' && seeded === 'seeded' && ping === 'ping-ok') ok(`serial round trip: hostname debian, cloud-init ran the user-data, the VM pings "shell" by name (${line})`);
    else fail(`serial round trip: ${JSON.stringify(line)}`);
  } finally {
    terminal.stream.destroy();
  }

  const reverse = await runtime.exec({ instanceId, machine: 'shell' }, ['ping', '-c1', '-W3', 'debian']);
  if (reverse.exitCode === 0) ok('the container pings the VM as "debian"');
  else fail(`container -> VM ping: ${reverse.output.trim()}`);

  // The graphical session starts after the serial shell: give it time to draw.
  let colours = 0;
  for (let attempt = 0; attempt < 30 && colours <= 10; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
    const vnc = await runtime.openVnc(vm);
    try {
      const screen = await readScreen(vnc, 30_000);
      colours = screen.colours;
      if (attempt === 0) ok(`VNC answers ${screen.version}, ${screen.width}x${screen.height}`);
    } finally {
      vnc.destroy();
    }
  }
  if (colours > 10) ok(`the VNC screen shows the graphical session (${colours} colours)`);
  else fail(`the VNC screen has ${colours} colours`);

  const stopFrom = Date.now();
  await runtime.setPower(instanceId, 'stopped');
  const state = (await runtime.list()).find((instance) => instance.instanceId === instanceId)?.machines.find((machine) => machine.name === 'debian')?.state;
  if (state === 'stopped') ok(`stop: the VM powered off in ${((Date.now() - stopFrom) / 1000).toFixed(1)} s (ACPI power button)`);
  else fail(`after stop the VM is ${state}`);
} catch (error) {
  fail(`${(error as Error).message}`);
} finally {
  await runtime.destroy(instanceId).catch((error: unknown) => fail(`destroy: ${(error as Error).message}`));
  const left = execFileSync('podman', ['--runtime', 'runc', 'ps', '-a', '--filter', `label=labhub.io/instance=${instanceId}`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim();
  if (left) fail(`left behind: ${left}`);
  else ok('destroy left no container');
  await runtime.close();
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
