import type { LabProblem } from '../../common/lab/api.js';

/** The subject of a problem's sentence: the field's path, or the whole text for syntax and document problems. */
function subject(path: string): string {
  if (path === '(yaml)') return 'The text';
  if (path === '(document)') return 'The document';
  return path;
}

/** "spec.machines[0].type must be one of: container, vm". */
export function problemSentence(problem: LabProblem): string {
  return `${subject(problem.path)} ${problem.message}`;
}

/** "9:13", the position editors show; undefined when the problem has none. */
export function problemPosition(problem: LabProblem): string | undefined {
  if (problem.line === undefined) return undefined;
  return `${problem.line}:${problem.column ?? 1}`;
}

/** One problem as a line of a list: position, the field's path set as code, and what is wrong. */
export function ProblemText({ problem }: { problem: LabProblem }) {
  const position = problemPosition(problem);
  const field = problem.path.startsWith('(') ? undefined : problem.path;
  return (
    <>
      {position && (
        <span className="problem__position">
          <span className="visually-hidden">Line {problem.line}, column {problem.column ?? 1}: </span>
          <span aria-hidden="true">{position}</span>
        </span>
      )}
      <span className="problem__text">
        {field ? <code className="problem__path">{field}</code> : <span>{subject(problem.path)}</span>} {problem.message}
      </span>
    </>
  );
}
