import { useEffect, useId, useMemo, useRef, type MouseEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { Step } from '../../common/steps.js';
import { useCheckStep, useSteps } from '../api/steps.js';
import { formatDateTime, plural } from '../format.js';
import { codeButton, renderMarkdown } from '../markdown.js';
import { Button } from './button.js';
import { CheckIcon, CloseIcon, LockIcon } from './icons.js';
import { LoadError } from './status.js';
import { Spinner } from './spinner.js';

export interface InstructionsPaneProps {
  id: string;
  instanceId: string;
  /** The instance's status: a check's error from before a change of state (paused, stopped) is stale after it. */
  status: string;
  onHide(): void;
  /** The shortcut that shows and hides the pane, for its button's `aria-keyshortcuts`. */
  shortcut: string;
  /**
   * Types a code block into a terminal: of the machine the block names (`run:<machine>`), else of
   * the selected one. Absent for those who may only watch the instance: no Run buttons then.
   */
  onRun?: (text: string, machine: string | undefined) => void;
  /** Whether the selected machine has a terminal: blocks that name no machine show Run only then. */
  canRunOnSelected: boolean;
}

type Runner = InstructionsPaneProps['onRun'];

function paneClass(canRun: boolean, canRunOnSelected: boolean): string {
  if (!canRun) return 'instructions instructions--watch-only';
  return canRunOnSelected ? 'instructions' : 'instructions instructions--no-run';
}

/** The address parameter that keeps the step shown across reloads. */
const stepParam = 'step';

/**
 * The lab's guided steps beside the machines, one page at a time: a progress bar of the steps
 * (passed checks marked), the current step's Markdown with Copy and Run on its code, its Check,
 * and Previous/Next.
 */
export function InstructionsPane({ id, instanceId, status, onHide, shortcut, onRun, canRunOnSelected }: InstructionsPaneProps) {
  const steps = useSteps(instanceId);
  const titleId = useId();
  return (
    <aside id={id} className={paneClass(onRun !== undefined, canRunOnSelected)} aria-labelledby={titleId}>
      <header className="instructions__header">
        <h2 className="instructions__title" id={titleId}>
          Instructions
        </h2>
        <button type="button" className="icon-button" onClick={onHide} aria-label="Hide the instructions" aria-keyshortcuts={shortcut} title={`Hide the instructions (${shortcut})`}>
          <CloseIcon size={18} />
        </button>
      </header>
      {steps.isPending ? (
        <div className="instructions__body">
          <p className="side-panel__loading">
            <Spinner />
            Loading the instructions…
          </p>
        </div>
      ) : steps.isError ? (
        <div className="instructions__body">
          <LoadError error={steps.error} onRetry={() => void steps.refetch()} retrying={steps.isFetching} />
        </div>
      ) : steps.data.steps.length === 0 ? (
        <div className="instructions__body">
          <p className="instructions__empty">This lab comes without instructions. Explore its machines as you like.</p>
        </div>
      ) : (
        <StepPages instanceId={instanceId} status={status} steps={steps.data.steps} gated={steps.data.gated} onRun={onRun} />
      )}
    </aside>
  );
}

function StepPages({ instanceId, status, steps, gated, onRun }: { instanceId: string; status: string; steps: Step[]; gated: boolean; onRun: Runner }) {
  const [params, setParams] = useSearchParams();
  const wanted = Number(params.get(stepParam) ?? '1');
  // A locked step cannot show (a gated lab, an address from before): the last open one does.
  const lastOpen = steps.filter((step) => !step.locked).at(-1)?.number ?? 1;
  const current = Number.isInteger(wanted) && wanted >= 1 && wanted <= steps.length ? Math.min(wanted, lastOpen) : 1;
  const nextLocked = steps[current]?.locked === true;
  const show = (number: number) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set(stepParam, String(number));
        return next;
      },
      { replace: true },
    );

  const checked = steps.filter((step) => step.check !== null);
  const passed = checked.filter((step) => step.passedAt !== null).length;
  const allPassed = checked.length > 0 && passed === checked.length;

  return (
    <>
      <div className="step-progress">
        <p className="step-progress__label">
          <span>
            Step {current} of {steps.length}
          </span>
          {checked.length > 0 && (
            <span>
              {passed} of {plural(checked.length, 'check')} passed
            </span>
          )}
        </p>
        {checked.length > 0 && (
          <div className="step-progress__bar" role="progressbar" aria-label="Checks passed" aria-valuemin={0} aria-valuemax={checked.length} aria-valuenow={passed} aria-valuetext={`${passed} of ${plural(checked.length, 'check')} passed`}>
            <div className="step-progress__fill" style={{ width: `${(100 * passed) / checked.length}%` }} />
          </div>
        )}
        <nav aria-label="Steps">
          <ol className="step-progress__steps">
            {steps.map((step) => {
              const done = step.passedAt !== null;
              return (
                <li key={step.number}>
                  <button
                    type="button"
                    className={[
                      'step-progress__step',
                      done && 'step-progress__step--passed',
                      step.locked && 'step-progress__step--locked',
                      step.number === current && 'step-progress__step--current',
                    ]
                      .filter(Boolean)
                      .join(' ')}
                    aria-current={step.number === current ? 'step' : undefined}
                    disabled={step.locked}
                    onClick={() => show(step.number)}
                    title={`Step ${step.number}: ${step.title}${done ? ' (passed)' : step.locked ? ' (locked until the checks before it pass)' : ''}`}
                  >
                    <span aria-hidden="true">{done ? <CheckIcon size={14} /> : step.locked ? <LockIcon size={13} /> : step.number}</span>
                    <span className="visually-hidden">
                      Step {step.number}: {step.title}
                      {done && ', passed'}
                      {step.locked && ', locked'}
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
      </div>
      <div className="instructions__body">
        {/* Every step stays mounted (a check's result stays while the learner pages); only the current one shows. */}
        {steps.map((step) => (
          <StepPage key={step.number} instanceId={instanceId} status={status} step={step} hidden={step.number !== current} onRun={onRun} />
        ))}
        <div className="step-nav">
          <Button size="small" onClick={() => show(current - 1)} disabled={current <= 1}>
            Previous
          </Button>
          <Button size="small" variant={current < steps.length && !nextLocked ? 'primary' : 'secondary'} onClick={() => show(current + 1)} disabled={current >= steps.length || nextLocked}>
            Next
          </Button>
        </div>
        {gated && nextLocked && (
          <p className="step-nav__locked">
            <LockIcon size={15} />
            Pass this step&rsquo;s check to open the next step.
          </p>
        )}
        {allPassed && (
          <p className="step-summary" role="status">
            <CheckIcon size={18} />
            All {plural(checked.length, 'check')} passed. Well done!
          </p>
        )}
      </div>
    </>
  );
}

function StepPage({ instanceId, status, step, hidden, onRun }: { instanceId: string; status: string; step: Step; hidden: boolean; onRun: Runner }) {
  const html = useMemo(() => renderMarkdown(step.body), [step.body]);
  const titleId = useId();
  const check = useCheckStep(instanceId, step.number);
  // "The check could not run: the instance is not running" no longer holds once it resumes or starts.
  const { isError, reset } = check;
  const errorStatus = useRef(status);
  useEffect(() => {
    if (isError && errorStatus.current !== status) reset();
    if (!isError) errorStatus.current = status;
  }, [status, isError, reset]);
  const result = check.data;
  // The last check run here decides what shows; before any, whether the step ever passed.
  const showPassed = result ? result.passed : step.passedAt !== null;

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const target = codeButton(event.target);
    if (!target) return;
    if (target.action === 'run') onRun?.(target.text, target.machine);
    else copyCode(target.button, target.text);
  };

  return (
    <section className="step" aria-labelledby={titleId} hidden={hidden}>
      <h3 className="step__title" id={titleId}>
        <span className={step.passedAt !== null ? 'step__number step__number--passed' : 'step__number'} aria-hidden="true">
          {step.number}
        </span>
        <span>
          <span className="visually-hidden">Step {step.number}: </span>
          {step.title}
        </span>
      </h3>
      {/* Sanitized in renderMarkdown: nothing executable from the lab file survives. */}
      {html && <div className="markdown" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />}
      {step.check && (
        <div className="step-check">
          <div className="step-check__row">
            {/* Running a check is using the instance; who may only watch sees whether it passed. */}
            {onRun && (
              <Button size="small" variant="primary" onClick={() => check.mutate()} pending={check.isPending} pendingLabel="Checking…">
                Check
              </Button>
            )}
            {!check.isPending && showPassed && (
              <span className="step-check__passed" title={step.passedAt ? `First passed ${formatDateTime(step.passedAt)}` : undefined}>
                <CheckIcon size={16} />
                Passed
              </span>
            )}
          </div>
          {!check.isPending && (
            <div role="status" className="step-check__result">
              {check.isError && <p className="step-check__error">The check could not run: {check.error.message}</p>}
              {result && !result.passed && (
                <>
                  <p className="step-check__failed">{result.timedOut ? 'Not yet: the check timed out.' : 'Not yet: the check did not pass.'}</p>
                  {result.output.trim() !== '' && <pre className="step-check__output">{result.output}</pre>}
                </>
              )}
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** A click on a code block's Copy button copies the code and says so on the button for a moment. */
function copyCode(button: HTMLButtonElement, text: string) {
  const done = (label: string) => {
    button.textContent = label;
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  };
  navigator.clipboard.writeText(text).then(
    () => done('Copied'),
    () => done('Select and copy'),
  );
}
