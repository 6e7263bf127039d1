import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { networkName } from '../../src/server/runtime/naming.js';
import { RuntimeError, type InstancePlan, type Runtime } from '../../src/server/runtime/runtime.js';
import { containerMachine, dataDir, engineSocket, engineWithShellImage, firewallLinesOf, vmMachine } from './local-target.js';
import { openConsole, plan } from './suite.js';

/**
 * Issue 15, finding 5: a local instance's machines never reach the host — not through the
 * network's gateway, not at any other address of the host — whatever the lab's `egress` says,
 * as the Kubernetes runtime's NetworkPolicy keeps Pods away from nodes. The host only listens
 * here; every connection attempt is made by a machine.
 */

/** A TCP server on every address of the host (0.0.0.0 and ::), answering a marker nobody else sends. */
async function listenOnHost(): Promise<{ port: number; marker: string; close(): void }> {
  const marker = `host-${randomBytes(6).toString('hex')}`;
  const servers: Server[] = [];
  const listen = (host: string, port: number, ipv6Only = false) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer((socket) => socket.end(`${marker}\n`));
      server.once('error', reject);
      server.listen({ host, port, ipv6Only }, () => resolve((server.address() as { port: number }).port));
      servers.push(server);
    });
  const port = await listen('0.0.0.0', 0);
  await listen('::', port, true).catch(() => {});
  return { port, marker, close: () => servers.forEach((server) => server.close()) };
}

/** The host's addresses as a machine would dial them (IPv6 link-local ones through the machine's eth0). */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal)
    .map((address) => (address?.family === 'IPv6' && address.address.startsWith('fe80:') ? `${address.address}%eth0` : (address?.address as string)));
}

/**
 * From inside `machine`, opens a TCP connection to each of `targets` at `port` (all at once,
 * five seconds each) and returns the targets that answered `marker`.
 */
async function reachedFrom(runtime: Runtime, instance: InstancePlan, machine: string, targets: string[], port: number, marker: string): Promise<string[]> {
  const script = `for a in "$@"; do (timeout 5 bash -c 'exec 3<>/dev/tcp/$0/$1 && timeout 3 head -c 200 <&3' "$a" ${port} 2>/dev/null | grep -q ${marker} && echo "REACHED $a") & done; wait; echo probe-done`;
  const result = await runtime.exec({ instanceId: instance.instanceId, machine }, ['bash', '-c', script, 'probe', ...targets], { timeoutMs: 60_000 });
  assert.match(result.output, /probe-done/, result.output);
  return [...result.output.matchAll(/^REACHED (\S+)/gm)].map((match) => match[1] as string);
}

/** A machine's TCP server on `port` answering `marker` (perl is in every Debian image: perl-base is essential). */
async function listenInMachine(runtime: Runtime, instance: InstancePlan, machine: string, port: number, marker: string): Promise<void> {
  const server = `use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => ${port}, Listen => 16, ReuseAddr => 1) or die; while (my $c = $s->accept) { print $c "${marker}\\n"; close $c }`;
  const result = await runtime.exec({ instanceId: instance.instanceId, machine }, [
    'sh',
    '-c',
    `nohup perl -e '${server}' >/dev/null 2>&1 & sleep 0.5; echo started`,
  ]);
  assert.match(result.output, /started/);
}

async function addressOf(runtime: Runtime, instance: InstancePlan, machine: string): Promise<string> {
  const address = (await runtime.exec({ instanceId: instance.instanceId, machine }, ['sh', '-c', "hostname -i | awk '{print $1}'"])).output.trim();
  assert.match(address, /^\d+\.\d+\.\d+\.\d+$/);
  return address;
}

describe('local runtime: machines never reach the host, whatever egress says', { timeout: 900_000 }, () => {
  const runtime = new LocalRuntime({ engineSocket, dataDir });
  const docker = new Docker({ socketPath: engineSocket });
  const allow = plan([containerMachine('alpha', 'labhub/shell'), containerMachine('beta', 'labhub/shell')], 'allow');
  const deny = plan([containerMachine('gamma', 'labhub/shell'), containerMachine('delta', 'labhub/shell')], 'deny');
  const peerPort = 7777;
  const peerMarker = `peer-${randomBytes(6).toString('hex')}`;
  let host: Awaited<ReturnType<typeof listenOnHost>>;

  /** The gateway of the instance's network, from the engine (machines' DNS resolver). */
  const gatewayOf = async (instance: InstancePlan) => {
    const network = await docker.getNetwork(networkName(instance.instanceId)).inspect();
    const gateway = network.IPAM?.Config?.[0]?.Gateway;
    assert.ok(gateway, 'the instance network has a gateway');
    return gateway;
  };

  before(async () => {
    await engineWithShellImage();
    host = await listenOnHost();
    await runtime.apply(allow);
    await runtime.apply(deny);
    await listenInMachine(runtime, allow, 'beta', peerPort, peerMarker);
    await listenInMachine(runtime, deny, 'delta', peerPort, peerMarker);
  });

  after(async () => {
    await runtime.destroy(allow.instanceId);
    await runtime.destroy(deny.instanceId);
    host.close();
    await runtime.close();
  });

  for (const [egress, instance, machine] of [
    ['allow', allow, 'alpha'],
    ['deny', deny, 'gamma'],
  ] as const) {
    test(`egress: ${egress} — the host's port is closed to the machine at the gateway and at every host address`, async () => {
      const targets = [await gatewayOf(instance), ...hostAddresses()];
      assert.deepEqual(await reachedFrom(runtime, instance, machine, targets, host.port, host.marker), [], `host listener on port ${host.port}`);
    });
  }

  test('machines of one instance still resolve and reach each other by name (DNS at the gateway works)', async () => {
    for (const [instance, from, to] of [
      [allow, 'alpha', 'beta'],
      [deny, 'gamma', 'delta'],
    ] as const) {
      const resolved = await runtime.exec({ instanceId: instance.instanceId, machine: from }, ['getent', 'hosts', to]);
      assert.equal(resolved.exitCode, 0, resolved.output);
      assert.deepEqual(await reachedFrom(runtime, instance, from, [to], peerPort, peerMarker), [to]);
    }
  });

  test("another instance's machines are unreachable, from an allow and from a deny network", async () => {
    assert.deepEqual(await reachedFrom(runtime, allow, 'alpha', [await addressOf(runtime, deny, 'delta')], peerPort, peerMarker), []);
    assert.deepEqual(await reachedFrom(runtime, deny, 'gamma', [await addressOf(runtime, allow, 'beta')], peerPort, peerMarker), []);
  });

  test('rules removed behind labhub’s back are back after the next list() (the reconciler’s pass)', async () => {
    const gateway = await gatewayOf(allow);
    // Unhook the instance's chains, as a careless `iptables -F` of their parent would.
    for (const tool of ['iptables', 'ip6tables']) {
      const jumps = spawnSync(tool, ['-w', '-t', 'mangle', '-S'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((line) => line.startsWith('-A ') && line.includes(`${allow.instanceId}-`) && / -j LH-/.test(line));
      for (const jump of jumps) assert.equal(spawnSync(tool, ['-w', '-t', 'mangle', ...jump.replace(/^-A /, '-D ').split(' ')]).status, 0, jump);
    }
    assert.deepEqual(
      await reachedFrom(runtime, allow, 'alpha', [gateway], host.port, host.marker),
      [gateway],
      'without its rules the machine reaches the host',
    );
    await runtime.list();
    assert.deepEqual(await reachedFrom(runtime, allow, 'alpha', [gateway], host.port, host.marker), []);
  });

  test('destroy leaves no rule behind, and rules of a network removed behind labhub’s back go at the next list()', async () => {
    const gone = plan([containerMachine('epsilon', 'labhub/shell')], 'allow');
    await runtime.apply(gone);
    assert.notDeepEqual(firewallLinesOf(gone.instanceId), [], 'the running instance has rules');
    for (const container of await docker.listContainers({ all: true, filters: { label: [`labhub.io/instance=${gone.instanceId}`] } })) {
      await docker.getContainer(container.Id).remove({ force: true });
    }
    await docker.getNetwork(networkName(gone.instanceId)).remove();
    await runtime.list();
    assert.deepEqual(firewallLinesOf(gone.instanceId), []);
    await runtime.destroy(gone.instanceId);

    const destroyed = plan([containerMachine('zeta', 'labhub/shell')], 'deny');
    await runtime.apply(destroyed);
    await runtime.destroy(destroyed.instanceId);
    assert.deepEqual(firewallLinesOf(destroyed.instanceId), []);
  });

  test('without iptables, apply fails with one sentence saying so and leaves nothing behind', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'labhub-no-iptables-'));
    const savedPath = process.env.PATH;
    const instance = plan([containerMachine('eta', 'labhub/shell')], 'allow');
    const fresh = new LocalRuntime({ engineSocket, dataDir });
    try {
      process.env.PATH = empty;
      await assert.rejects(fresh.apply(instance), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, String(error));
        assert.match(error.message, /iptables/);
        assert.match(error.message, /not installed/);
        assert.equal(error.message.trim().split(/(?<=\.)\s+/).length, 1, `one sentence: ${error.message}`);
        return true;
      });
    } finally {
      process.env.PATH = savedPath;
      rmSync(empty, { recursive: true, force: true });
    }
    assert.deepEqual(
      (await fresh.list()).filter((observed) => observed.instanceId === instance.instanceId),
      [],
    );
    await fresh.close();
  });
});

describe('local runtime: a VM (through its launcher) never reaches the host either', { timeout: 900_000 }, () => {
  const runtime = new LocalRuntime({ engineSocket, dataDir });
  const docker = new Docker({ socketPath: engineSocket });
  const instance = plan([vmMachine('vm'), containerMachine('peer', 'labhub/shell')], 'allow');
  const peerMarker = `peer-${randomBytes(6).toString('hex')}`;
  let host: Awaited<ReturnType<typeof listenOnHost>>;

  before(async () => {
    await engineWithShellImage();
    host = await listenOnHost();
    await runtime.apply(instance);
    await listenInMachine(runtime, instance, 'peer', 7777, peerMarker);
  });

  after(async () => {
    await runtime.destroy(instance.instanceId);
    host.close();
    await runtime.close();
  });

  test("egress: allow — the VM gets its peer's answer by name, and nothing from the host's port at the gateway or any host IPv4 address", async () => {
    const gateway = (await docker.getNetwork(networkName(instance.instanceId)).inspect()).IPAM?.Config?.[0]?.Gateway;
    assert.ok(gateway);
    const targets = [gateway, ...hostAddresses().filter((address) => !address.includes(':'))];
    const serial = await openConsole(runtime, { instanceId: instance.instanceId, machine: 'vm' });
    try {
      // The last line comes after every attempt: what the host would have answered is in the output by then.
      const command = `for a in peer ${targets.join(' ')}; do p=${host.port}; [ $a = peer ] && p=7777; busybox nc -w 3 $a $p </dev/null; done; echo vm-probe-$((6*7))`;
      const output = await serial.run(command, /vm-probe-42/, 120_000);
      assert.ok(output.includes(peerMarker), `the VM reached its peer: ${output}`);
      assert.ok(!output.includes(host.marker), `the VM reached the host: ${output}`);
    } finally {
      serial.close();
    }
  });
});
