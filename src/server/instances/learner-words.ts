import type { NormalizedLab } from '../../common/lab/normalized.js';
import type { Progress, RuntimeError } from '../runtime/runtime.js';
import type { InstanceRow } from '../store/instances.js';

/**
 * What a learner reads about their instance. The runtime's own words (build steps, recipe hashes,
 * log file paths, engine errors, "TCG") are for admins and go to the server log; a learner reads
 * what is happening and how long it takes, and a progress bar (issue 14, item 5).
 */
export interface LearnerProgress {
  message: string;
  /** How far the start is, 0 to 100. */
  percent: number;
}

/** Disks labhub builds in about a minute; the others (the debian disk) take a few. */
const quickDisks = new Set(['tiny']);

export function learnerProgress(progress: Progress, lab: NormalizedLab): LearnerProgress {
  const machine = lab.machines.find((candidate) => candidate.name === progress.machine);
  const name = progress.machine ?? 'the machines';
  switch (progress.step) {
    case 'image':
      if (machine?.type === 'vm') {
        const quick = machine.disk.source === 'image' && quickDisks.has(machine.disk.image);
        return { message: `Preparing the virtual machine's disk for ${name}: ${quick ? 'about a minute' : 'a few minutes'}, only the first time`, percent: 10 };
      }
      return { message: `Preparing the software of ${name}: a few minutes, only the first time`, percent: 10 };
    case 'network':
      return { message: 'Setting up the private network', percent: 30 };
    case 'create':
      return { message: `Creating ${name}`, percent: 45 };
    case 'start':
      return { message: machine?.type === 'vm' ? `Booting ${name}` : `Starting ${name}`, percent: 65 };
    case 'ready':
      // A runtime may say so per machine before all are up.
      return progress.machine ? { message: `${name} is up`, percent: 85 } : { message: 'Ready', percent: 100 };
  }
}

const verbs: Record<InstanceRow['desired'], string> = { running: 'start', stopped: 'stop', paused: 'pause', deleted: 'be deleted' };

/**
 * A failed operation in a learner's words. Sentences labhub composes for people (a missing image
 * or disk, a machine that is not running) stay as they are; a failure that would show a build
 * log, a path or the engine's own error becomes a sentence that says what to do, and the details
 * are in the server log.
 */
export function learnerFailure(error: RuntimeError, desired: InstanceRow['desired']): string {
  if (error.kind !== 'failed' && error.kind !== 'engine_unavailable') return error.message;
  const verb = verbs[desired];
  if (error.kind === 'engine_unavailable')
    return `labhub cannot reach the machines right now, so the instance could not ${verb}. Try again in a minute; if it keeps happening, tell an admin.`;
  const what = error.machine ? `Machine "${error.machine}"` : 'The instance';
  return `${what} could not ${verb}. Try again; if it fails again, tell an admin (labhub's log has the details).`;
}
