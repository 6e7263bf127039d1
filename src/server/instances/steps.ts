import type { CheckResult, Step } from '../../common/steps.js';
import type { NormalizedLab } from '../../common/lab/normalized.js';
import { isGated, unlockedSteps } from '../../common/lab/guide.js';
import { expandStepText, type StepVariable } from '../../common/lab/step-text.js';
import { LabhubError } from '../errors.js';
import { RuntimeError, type ExecResult, type Runtime } from '../runtime/runtime.js';
import type { InstanceRow } from '../store/instances.js';
import type { StepProgressRepository } from '../store/step-progress.js';
import { KeyedQueue, runThroughConsole, type ConsoleSource } from './console-check.js';
import { labOf } from './snapshot.js';

const maxOutputBytes = 4096;

export interface StepServiceDeps {
  progress: StepProgressRepository;
  runtime: Runtime;
  /** Where checks of VMs without a guest agent type their command: the gateway's shared terminals. */
  consoles: ConsoleSource;
  /** The absolute URL that opens an app of a machine (path or subdomain mode, as the gateway serves it). */
  appUrl(instanceId: string, machine: string, port: number): string;
  now?: () => number;
}

/** Guided steps: the lab's instructions of an instance, their checks, and which have passed. */
export class StepService {
  private readonly consoleChecks = new KeyedQueue();
  private readonly now: () => number;

  constructor(private readonly deps: StepServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The steps as the instance's owner (`owner`: their username) reads them: variables filled in, later steps of a gated lab locked. */
  async list(row: InstanceRow, owner: string): Promise<{ steps: Step[]; gated: boolean }> {
    const lab = labOf(row);
    const passed = await this.passedSteps(row);
    const unlocked = unlockedSteps(lab, passed);
    const valueOf = (variable: StepVariable) => variableValue(lab, row.id, owner, variable, this.deps.appUrl);
    return {
      gated: isGated(lab),
      steps: lab.instructions.map((step, index) => {
        const number = index + 1;
        const passedAt = passed.get(number);
        const locked = number > unlocked;
        return {
          number,
          title: step.title,
          body: locked ? '' : expandStepText(step.body, valueOf),
          check: step.check ? { machine: step.check.machine } : null,
          passedAt: passedAt === undefined ? null : new Date(passedAt).toISOString(),
          locked,
        };
      }),
    };
  }

  /**
   * Runs step `number`'s check in its machine: exit 0 within the timeout passes, and the pass is
   * recorded. Machines that cannot exec (VMs without a guest agent) run it through their console.
   */
  async check(row: InstanceRow, number: number): Promise<CheckResult> {
    const lab = labOf(row);
    const step = lab.instructions[number - 1];
    if (!step) throw new LabhubError('LABHUB_NOT_FOUND', `This lab has no step ${number}.`);
    if (!step.check) throw new LabhubError('LABHUB_CONFLICT', `Step ${number} has no check.`);
    const unlocked = unlockedSteps(lab, await this.passedSteps(row));
    if (number > unlocked) throw new LabhubError('LABHUB_CONFLICT', `Step ${number} is locked: pass the check of step ${unlocked} first.`);
    if (row.status !== 'running') throw new LabhubError('LABHUB_CONFLICT', 'The instance is not running; start it to check this step.');
    const { machine, run, timeoutSeconds } = step.check;
    const ref = { instanceId: row.id, machine };
    const options = { timeoutMs: timeoutSeconds * 1000, maxOutputBytes };
    let result: ExecResult;
    try {
      result = await this.deps.runtime.exec(ref, ['sh', '-c', run], options).catch((error: unknown) => {
        if (!(error instanceof RuntimeError && error.kind === 'unsupported')) throw error;
        return this.consoleChecks.run(`${row.id}/${machine}`, () => runThroughConsole(this.deps.consoles, ref, run, options));
      });
    } catch (error) {
      if (error instanceof RuntimeError) throw new LabhubError('LABHUB_CONFLICT', `The check could not run on "${machine}": ${error.message}`);
      throw error;
    }
    const passed = result.exitCode === 0 && !result.timedOut;
    if (passed) await this.deps.progress.recordPass(row.id, number, this.now());
    const output = result.timedOut ? `${result.output}\n[the check did not finish within ${timeoutSeconds} s]`.trim() : result.output;
    return { passed, output, timedOut: result.timedOut };
  }

  private async passedSteps(row: InstanceRow): Promise<Map<number, number>> {
    return (await this.deps.progress.passed([row.id])).get(row.id) ?? new Map<number, number>();
  }
}

/**
 * A variable's value for this instance. Credentials come from the lab (every learner of a lab
 * version reads the same), the username is the instance owner's: nothing of another user.
 */
function variableValue(lab: NormalizedLab, instanceId: string, owner: string, variable: StepVariable, appUrl: StepServiceDeps['appUrl']): string | undefined {
  if (variable.kind === 'username') return owner;
  const machine = lab.machines.find((candidate) => candidate.name === variable.machine);
  if (!machine) return undefined;
  switch (variable.kind) {
    case 'host':
      // Machines of an instance reach each other by machine name, in both runtimes.
      return machine.name;
    case 'credential': {
      const credential = machine.credentials[variable.index];
      return credential ? (credential[variable.field] ?? '') : undefined;
    }
    case 'app':
      return machine.access.some((access) => typeof access === 'object' && access.http === variable.port) ? appUrl(instanceId, machine.name, variable.port) : undefined;
  }
}
