import type { CheckResult, Step } from '../../common/steps.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { LabhubError } from '../errors.js';
import { RuntimeError, type Runtime } from '../runtime/runtime.js';
import type { InstanceRow } from '../store/instances.js';
import type { StepProgressRepository } from '../store/step-progress.js';

const maxOutputBytes = 4096;

/** Guided steps: the lab's instructions of an instance, their checks, and which have passed. */
export class StepService {
  constructor(
    private readonly progress: StepProgressRepository,
    private readonly runtime: Runtime,
    private readonly now: () => number = Date.now,
  ) {}

  async list(row: InstanceRow): Promise<Step[]> {
    const passed = (await this.progress.passed([row.id])).get(row.id) ?? new Map<number, number>();
    return labOf(row).instructions.map((step, index) => {
      const passedAt = passed.get(index + 1);
      return {
        number: index + 1,
        title: step.title,
        body: step.body,
        check: step.check ? { machine: step.check.machine } : null,
        passedAt: passedAt === undefined ? null : new Date(passedAt).toISOString(),
      };
    });
  }

  /** Runs step `number`'s check in its machine: exit 0 within the timeout passes, and the pass is recorded. */
  async check(row: InstanceRow, number: number): Promise<CheckResult> {
    const step = labOf(row).instructions[number - 1];
    if (!step) throw new LabhubError('LABHUB_NOT_FOUND', `This lab has no step ${number}.`);
    if (!step.check) throw new LabhubError('LABHUB_CONFLICT', `Step ${number} has no check.`);
    if (row.status !== 'running') throw new LabhubError('LABHUB_CONFLICT', 'The instance is not running; start it to check this step.');
    const { machine, run, timeoutSeconds } = step.check;
    let result;
    try {
      result = await this.runtime.exec({ instanceId: row.id, machine }, ['sh', '-c', run], { timeoutMs: timeoutSeconds * 1000, maxOutputBytes });
    } catch (error) {
      if (error instanceof RuntimeError) throw new LabhubError('LABHUB_CONFLICT', `The check could not run on "${machine}": ${error.message}`);
      throw error;
    }
    const passed = result.exitCode === 0 && !result.timedOut;
    if (passed) await this.progress.recordPass(row.id, number, this.now());
    const output = result.timedOut ? `${result.output}\n[the check did not finish within ${timeoutSeconds} s]`.trim() : result.output;
    return { passed, output, timedOut: result.timedOut };
  }
}

function labOf(row: InstanceRow): NormalizedLab {
  return JSON.parse(row.lab_snapshot) as NormalizedLab;
}
