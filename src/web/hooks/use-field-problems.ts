import { useMemo } from 'react';
import type { FieldProblem } from '../../common/errors.js';
import { ApiError } from '../api/client.js';

export interface FieldProblems<F extends string> {
  /** The problem of one field, in words (`must have at least 8 characters`), or undefined. */
  of(field: F): string | undefined;
  /** Problems no field of the form can show: they go into the form's own message. */
  unplaced: string[];
}

/**
 * Sorts an API error's `details.problems` onto a form's fields: `body.username` belongs to the
 * field `username`. Messages are reworded from the validator's terms into plain words.
 */
export function useFieldProblems<F extends string>(error: unknown, fields: readonly F[], prefix = 'body.'): FieldProblems<F> {
  return useMemo(() => {
    const byField = new Map<F, string>();
    const unplaced: string[] = [];
    const problems = error instanceof ApiError ? error.problems : [];
    for (const problem of problems) {
      const field = fields.find((name) => problem.path === `${prefix}${name}`);
      if (field && !byField.has(field)) byField.set(field, inWords(problem));
      else if (!field) unplaced.push(`${problem.path.replace(prefix, '')} ${inWords(problem)}`);
    }
    return { of: (field: F) => byField.get(field), unplaced };
  }, [error, fields, prefix]);
}

function inWords({ message }: FieldProblem): string {
  const fewer = /^must NOT have fewer than (\d+) characters?$/.exec(message);
  if (fewer) return fewer[1] === '1' ? 'is required' : `must have at least ${fewer[1]} characters`;
  const more = /^must NOT have more than (\d+) characters?$/.exec(message);
  if (more) return `must have at most ${more[1]} characters`;
  if (message === 'must match format "email"') return 'is not a valid email address';
  if (message.startsWith('must match pattern')) return 'uses characters that are not allowed';
  return message;
}
