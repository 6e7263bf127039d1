import type { LabProblem } from '../../../common/lab/api.js';
import { ProblemText } from '../../components/lab-problem.js';
import { Spinner } from '../../components/spinner.js';
import { CheckIcon } from '../../components/icons.js';
import { plural } from '../../format.js';

export type CheckState = 'checking' | 'valid' | 'invalid' | 'unknown';

interface ProblemListProps {
  id: string;
  state: CheckState;
  problems: LabProblem[];
  /** Why the last check did not answer, when it did not. */
  checkError?: string | undefined;
  /** Moves the editor's cursor to a problem. */
  onSelect(problem: LabProblem): void;
}

/** The check's verdict under the editor, and each problem as a button that goes to its line. */
export function ProblemList({ id, state, problems, checkError, onSelect }: ProblemListProps) {
  return (
    <section className="problems" aria-labelledby={`${id}-summary`}>
      <p id={`${id}-summary`} className={`problems__summary problems__summary--${state}`} role="status">
        {state === 'checking' ? (
          <>
            <Spinner />
            Checking…
          </>
        ) : state === 'valid' ? (
          <>
            <CheckIcon size={16} />
            No problems: this is a valid lab.
          </>
        ) : state === 'invalid' ? (
          `${plural(problems.length, 'problem')} to fix before saving`
        ) : (
          `The lab could not be checked: ${checkError ?? 'no answer'}. Saving checks it again.`
        )}
      </p>
      {problems.length > 0 && (
        <ol className="problems__list">
          {problems.map((problem, index) => (
            <li key={`${problem.path}-${problem.line ?? 0}-${problem.column ?? 0}-${index}`}>
              {problem.line !== undefined ? (
                <button type="button" className="problem problem--button" onClick={() => onSelect(problem)}>
                  <ProblemText problem={problem} />
                </button>
              ) : (
                <span className="problem">
                  <ProblemText problem={problem} />
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
