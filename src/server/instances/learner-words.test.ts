import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLab } from '../../common/lab/parse.js';
import { RuntimeError, type Progress } from '../runtime/runtime.js';
import { learnerFailure, learnerProgress } from './learner-words.js';

const parsed = parseLab(
  `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: words }
spec:
  machines:
    - { name: tiny, type: vm, disk: { image: tiny } }
    - { name: big, type: vm, disk: { image: debian } }
    - { name: shell, type: container, image: labhub/shell }
`,
  'words.yaml',
);
if (!parsed.ok) throw new Error('the test lab is not valid');
const lab = parsed.lab;

/** What the local runtime says while it starts a VM lab the first time (images/build.sh's lines included). */
const runtimeSays: Progress[] = [
  { machine: 'tiny', step: 'image', message: 'building labhub/vm-launcher from Debian packages (first use only)' },
  { machine: 'tiny', step: 'image', message: 'labhub/vm-launcher: building (recipe a537d0a55de2, log /var/cache/labhub/images/logs/vm-launcher.log)' },
  { machine: 'big', step: 'image', message: 'debian: debootstrap bookworm minbase + 40 packages from http://deb.debian.org/debian (about 3 min)' },
  { machine: 'shell', step: 'image', message: 'waiting for labhub/shell to be built' },
  { step: 'network', message: 'creating the private network' },
  { machine: 'tiny', step: 'create', message: 'creating tiny' },
  { machine: 'tiny', step: 'start', message: 'booting tiny (TCG, no KVM)' },
  { machine: 'tiny', step: 'ready', message: 'running (TCG, no KVM)' },
  { step: 'ready', message: 'all machines are running' },
];

test('a learner reads what is happening, never build lines, paths, URLs or engine words', () => {
  for (const progress of runtimeSays) {
    const { message } = learnerProgress(progress, lab);
    assert.doesNotMatch(message, /\/|recipe|debootstrap|labhub\/|TCG|KVM|log\b|engine|podman|qemu/i, `${progress.message} → ${message}`);
  }
  assert.equal(learnerProgress(runtimeSays[0]!, lab).message, "Preparing the virtual machine's disk for tiny: about a minute, only the first time");
  assert.match(learnerProgress(runtimeSays[2]!, lab).message, /a few minutes, only the first time/);
  assert.equal(learnerProgress(runtimeSays[6]!, lab).message, 'Booting tiny');
});

test('the progress goes from preparing to ready, ending at 100', () => {
  const percents = runtimeSays.map((progress) => learnerProgress(progress, lab).percent);
  assert.deepEqual(
    [...percents].sort((a, b) => a - b),
    percents,
    'never backwards in the order a start goes',
  );
  assert.equal(percents.at(-1), 100);
  assert.ok(
    percents.slice(0, -1).every((percent) => percent < 100),
    'only the end is 100',
  );
});

test("a failure that would show a build log or an engine error becomes a sentence; labhub's own sentences stay", () => {
  const build = new RuntimeError('failed', 'Building labhub/vm-launcher failed: E: Failed to fetch http://deb.debian.org/debian/pool/x.deb', {
    machine: 'tiny',
  });
  assert.equal(
    learnerFailure(build, 'running'),
    'Machine "tiny" could not start. Try again; if it fails again, tell an admin (labhub\'s log has the details).',
  );
  const engine = new RuntimeError('engine_unavailable', 'connect ENOENT /run/podman/podman.sock');
  assert.doesNotMatch(learnerFailure(engine, 'paused'), /ENOENT|podman|\//);
  assert.match(learnerFailure(engine, 'paused'), /could not pause/);
  const missing = new RuntimeError('bad_plan', 'Machine "big": the disk image "debian" is not available here. An admin can add it.', { machine: 'big' });
  assert.equal(learnerFailure(missing, 'running'), missing.message);
});
