import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { connectEngine } from '../../src/server/runtime/local/engine.js';
import { ImageBuilder } from '../../src/server/runtime/local/images.js';
import { dockerChainsNow, startDockerd, type Dockerd } from '../support/dockerd.js';
import { containerMachine, dataDir, engineSocket, localTarget } from './local-target.js';
import { ownAddress, plan, resolvedAddress, runtimeConformance } from './suite.js';

/**
 * The README says the local runtime works with Podman or Docker: the container part of the
 * conformance suite (DNS between machines, isolation between instances, terminals, pause,
 * events, desktop) against Debian's Docker Engine, a dockerd of the test's own (support/dockerd.ts)
 * with labhub's images copied in from Podman. VMs are not part of it: labhub builds its VM
 * launcher with Podman (docs/decisions/0019-fresh-machine-checks.md).
 */
const forwardPolicy = () => spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).stdout.split('\n')[0];
const policyBefore = forwardPolicy();
const chainsBefore = dockerChainsNow();

let dockerd: Promise<Dockerd> | undefined;
function docker(): Promise<Dockerd> {
  dockerd ??= (async () => {
    // labhub's images come from Podman, where labhub builds them.
    const images = new ImageBuilder(() => connectEngine(engineSocket, { start: true }), dataDir);
    for (const image of ['labhub/shell', 'labhub/desktop']) await images.ensure(image, () => {});
    const started = await startDockerd();
    await started.loadFromPodman(['labhub/shell', 'labhub/desktop']);
    return started;
  })();
  return dockerd;
}

runtimeConformance(localTarget('local (Docker Engine)', async () => (await docker()).socket, { vms: false }));

describe('after Docker Engine stopped: the host is as it was, and Podman networking still works', { timeout: 300_000 }, () => {
  before(async () => {
    if (dockerd) await (await dockerd).close();
  });

  test('no Docker chains are left in the firewall and the FORWARD policy is unchanged', () => {
    assert.deepEqual(dockerChainsNow(), chainsBefore);
    assert.equal(forwardPolicy(), policyBefore);
  });

  test('two Podman machines of one instance still resolve each other by name', async () => {
    const runtime = new LocalRuntime({ engineSocket, dataDir });
    const pair = plan([containerMachine('left', 'labhub/shell'), containerMachine('right', 'labhub/shell')]);
    try {
      await runtime.apply(pair);
      const right = { instanceId: pair.instanceId, machine: 'right' };
      assert.equal(await resolvedAddress(runtime, { instanceId: pair.instanceId, machine: 'left' }, 'right'), await ownAddress(runtime, right));
    } finally {
      await runtime.destroy(pair.instanceId);
      await runtime.close();
    }
  });
});

after(async () => {
  if (dockerd) await (await dockerd).close().catch(() => {});
});
