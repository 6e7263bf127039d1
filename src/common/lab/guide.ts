import type { NormalizedLab } from './normalized.js';

/** Whether a step opens only once the checks before it passed (`spec.guide.gated`). */
export function isGated(lab: NormalizedLab): boolean {
  return lab.guide?.gated === true;
}

/**
 * The last step the learner may open: all of them, or in a gated lab the first step whose check
 * has not passed (`passed`: pass times by step number). The steps API and the lab's own page
 * both show no step text beyond it.
 */
export function unlockedSteps(lab: NormalizedLab, passed: ReadonlyMap<number, number>): number {
  if (!isGated(lab)) return lab.instructions.length;
  return firstUnpassed(lab, passed) ?? lab.instructions.length;
}

/** The first step with a check that has not passed, or undefined when every check passed. */
export function firstUnpassed(lab: NormalizedLab, passed: ReadonlyMap<number, number>): number | undefined {
  const index = lab.instructions.findIndex((step, i) => step.check !== null && !passed.has(i + 1));
  return index === -1 ? undefined : index + 1;
}
