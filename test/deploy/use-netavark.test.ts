import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

/**
 * install.sh's use_netavark, against a stand-in `podman` on PATH (the machine's own Podman must not be
 * moved by a test): which backend it reports, which networks exist and carry labhub's label, whether
 * labhub containers run. The drop-in goes to a temp path.
 */
const installScript = fileURLToPath(new URL('../../scripts/lib/install.sh', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'labhub-use-netavark-'));
const dropin = path.join(dir, 'containers.conf.d', '50-labhub-netavark.conf');
writeFileSync(
  path.join(dir, 'podman'),
  `#!/bin/sh
case "$1 $2" in
  "info --format") if [ -f "$FAKE_DROPIN" ]; then echo netavark; else echo "$FAKE_BACKEND"; fi ;;
  "network ls") printf '%s\\n' $FAKE_NETWORKS ;;
  "network inspect") case " $FAKE_LABHUB_NETWORKS " in *" $5 "*) echo instance-1 ;; esac ;;
  "ps -q") echo "$FAKE_RUNNING" ;;
esac
`,
);
writeFileSync(path.join(dir, 'ss'), '#!/bin/sh\n');
for (const stub of ['podman', 'ss']) chmodSync(path.join(dir, stub), 0o755);

after(() => rmSync(dir, { recursive: true, force: true }));

function useNetavark(engine: { backend: string; networks: string[]; labhub?: string[]; running?: string }) {
  rmSync(path.dirname(dropin), { recursive: true, force: true });
  const result = spawnSync('bash', ['-c', `source '${installScript}' && netavark_dropin='${dropin}' && use_netavark`], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      FAKE_DROPIN: dropin,
      FAKE_BACKEND: engine.backend,
      FAKE_NETWORKS: engine.networks.join(' '),
      FAKE_LABHUB_NETWORKS: (engine.labhub ?? []).join(' '),
      FAKE_RUNNING: engine.running ?? '',
    },
  });
  return { status: result.status, output: stripVTControlCharacters(result.stdout), dropin: existsSync(dropin) ? readFileSync(dropin, 'utf8') : undefined };
}

test('a Podman on netavark is left alone', () => {
  const result = useNetavark({ backend: 'netavark', networks: ['podman', 'mine'] });
  assert.equal(result.status, 0, result.output);
  assert.equal(result.dropin, undefined);
});

test('CNI with only the default and labhub networks: the drop-in moves Podman to netavark', () => {
  const result = useNetavark({ backend: 'cni', networks: ['podman', 'labhub-abc'], labhub: ['labhub-abc'] });
  assert.equal(result.status, 0, result.output);
  assert.match(result.dropin ?? '', /^\[network\]\nnetwork_backend = "netavark"$/m);
  assert.match(result.output, /moving Podman from cni to netavark/);
});

test('CNI with a network labhub did not make: stops with one sentence naming it and what to run; nothing written', () => {
  const result = useNetavark({ backend: 'cni', networks: ['podman', 'labhub-abc', 'team-net'], labhub: ['labhub-abc'] });
  assert.equal(result.status, 1);
  assert.equal(result.dropin, undefined);
  const lines = result.output.trim().split('\n');
  assert.equal(lines.length, 1, result.output);
  assert.match(
    lines[0] ?? '',
    /has networks labhub did not make \(team-net\): move them yourself \(podman network rm team-net\), then run: bash scripts\/setup-engine\.sh$/,
  );
});

test('CNI with labhub instances running: stops and says to stop them first; nothing written', () => {
  const result = useNetavark({ backend: 'cni', networks: ['podman', 'labhub-abc'], labhub: ['labhub-abc'], running: 'f00d' });
  assert.equal(result.status, 1);
  assert.equal(result.dropin, undefined);
  assert.match(result.output, /labhub instances are running on CNI networks: stop them first .* then run: bash scripts\/setup-engine\.sh/);
});
