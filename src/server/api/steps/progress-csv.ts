import type { LabProgress } from '../../../common/steps.js';

/**
 * A lab's progress as CSV (RFC 4180): one row per learner's instance, one column per step with
 * the time its check passed. Every field is quoted; a field a spreadsheet would run as a formula
 * (a step title or username starting with = + - @) gets a leading apostrophe (OWASP's advice on CSV injection).
 */
export function progressCsv(progress: LabProgress): string {
  const columns = Math.max(progress.steps.length, ...progress.learners.map((learner) => learner.steps));
  const stepNames = Array.from({ length: columns }, (_, index) => `${index + 1}. ${progress.steps[index]?.title ?? `Step ${index + 1}`}`);
  const rows = [
    ['username', 'instance', 'status', 'current step', ...stepNames],
    ...progress.learners.map((learner) => {
      const passedAt = new Map(learner.passed.map((pass) => [pass.number, pass.passedAt]));
      return [learner.username, learner.instanceId, learner.status, learner.current === null ? '' : String(learner.current), ...stepNames.map((_, index) => passedAt.get(index + 1) ?? '')];
    }),
  ];
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}
