import { useId, useMemo, type MouseEvent } from 'react';
import type { LabStepView } from '../../common/lab/api.js';
import { useLab } from '../api/labs.js';
import { copyButtonText, renderMarkdown } from '../markdown.js';
import { CloseIcon } from './icons.js';
import { LoadError } from './status.js';
import { Spinner } from './spinner.js';

export interface InstructionsPaneProps {
  id: string;
  lab: { name: string; version: number };
  onHide(): void;
  /** The shortcut that shows and hides the pane, for its button's `aria-keyshortcuts`. */
  shortcut: string;
}

/** The lab's instructions beside the machines: every step's title and body, in order. */
export function InstructionsPane({ id, lab, onHide, shortcut }: InstructionsPaneProps) {
  const detail = useLab(lab.name);
  const titleId = useId();
  return (
    <aside id={id} className="instructions" aria-labelledby={titleId}>
      <header className="instructions__header">
        <h2 className="instructions__title" id={titleId}>
          Instructions
        </h2>
        <button type="button" className="icon-button" onClick={onHide} aria-label="Hide the instructions" aria-keyshortcuts={shortcut} title={`Hide the instructions (${shortcut})`}>
          <CloseIcon size={18} />
        </button>
      </header>
      <div className="instructions__body">
        {detail.isPending ? (
          <p className="side-panel__loading">
            <Spinner />
            Loading the instructions…
          </p>
        ) : detail.isError ? (
          <LoadError error={detail.error} onRetry={() => void detail.refetch()} retrying={detail.isFetching} />
        ) : detail.data.instructions.length === 0 ? (
          <p className="instructions__empty">This lab comes without instructions. Explore its machines as you like.</p>
        ) : (
          <>
            {detail.data.version !== null && detail.data.version !== lab.version && (
              <p className="instructions__version">
                These are the instructions of version {detail.data.version} of the lab; your instance was started from version {lab.version}.
              </p>
            )}
            <ol className="instructions__steps">
              {detail.data.instructions.map((step, index) => (
                <li key={index}>
                  <Step step={step} number={index + 1} />
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </aside>
  );
}

function Step({ step, number }: { step: LabStepView; number: number }) {
  const html = useMemo(() => renderMarkdown(step.body), [step.body]);
  const titleId = useId();
  return (
    <section className="step" aria-labelledby={titleId}>
      <h3 className="step__title" id={titleId}>
        <span className="step__number" aria-hidden="true">
          {number}
        </span>
        <span>
          <span className="visually-hidden">Step {number}: </span>
          {step.title}
        </span>
      </h3>
      {/* Sanitized in renderMarkdown: nothing executable from the lab file survives. */}
      {html && <div className="markdown" onClick={copyCode} dangerouslySetInnerHTML={{ __html: html }} />}
    </section>
  );
}

/** A click on a code block's Copy button copies the code and says so on the button for a moment. */
function copyCode(event: MouseEvent<HTMLDivElement>) {
  const copy = copyButtonText(event.target);
  if (!copy) return;
  const { button, text } = copy;
  const done = (label: string) => {
    button.textContent = label;
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  };
  navigator.clipboard.writeText(text).then(
    () => done('Copied'),
    () => done('Select and copy'),
  );
}
