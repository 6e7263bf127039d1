import { useId, type InputHTMLAttributes, type ReactNode, type Ref, type SelectHTMLAttributes } from 'react';

interface FieldFrameProps {
  label: string;
  /** Help shown under the label. */
  hint?: string | undefined;
  /** What is wrong with the value, as the end of a sentence that starts with the label ("is taken"). */
  problem?: string | undefined;
  optional?: boolean;
}

function useFieldIds(hint: string | undefined, problem: string | undefined) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const problemId = problem ? `${id}-problem` : undefined;
  const describedBy = [problemId, hintId].filter(Boolean).join(' ') || undefined;
  return { id, hintId, problemId, describedBy };
}

function FieldFrame({ id, label, hint, hintId, problem, problemId, optional, children }: FieldFrameProps & { id: string; hintId?: string | undefined; problemId?: string | undefined; children: ReactNode }) {
  return (
    <div className={problem ? 'field field--invalid' : 'field'}>
      <label className="field__label" htmlFor={id}>
        {label}
        {optional && <span className="field__optional"> (optional)</span>}
      </label>
      {hint && (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      {children}
      {problem && (
        <p className="field__problem" id={problemId}>
          {label} {problem}.
        </p>
      )}
    </div>
  );
}

export type TextFieldProps = FieldFrameProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & { ref?: Ref<HTMLInputElement> };

/** A labelled input with optional hint and problem text, both linked to the input for screen readers. */
export function TextField({ label, hint, problem, optional, ref, ...input }: TextFieldProps) {
  const { id, hintId, problemId, describedBy } = useFieldIds(hint, problem);
  return (
    <FieldFrame id={id} label={label} hint={hint} hintId={hintId} problem={problem} problemId={problemId} optional={optional}>
      <input id={id} ref={ref} className="input" aria-invalid={problem ? true : undefined} aria-describedby={describedBy} {...input} />
    </FieldFrame>
  );
}

export type SelectFieldProps = FieldFrameProps & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & { ref?: Ref<HTMLSelectElement> };

export function SelectField({ label, hint, problem, optional, ref, children, ...select }: SelectFieldProps) {
  const { id, hintId, problemId, describedBy } = useFieldIds(hint, problem);
  return (
    <FieldFrame id={id} label={label} hint={hint} hintId={hintId} problem={problem} problemId={problemId} optional={optional}>
      <select id={id} ref={ref} className="input select" aria-invalid={problem ? true : undefined} aria-describedby={describedBy} {...select}>
        {children}
      </select>
    </FieldFrame>
  );
}

/** A form's own message (not about one field); announced when it appears. */
export function FormError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <div className="form-error" role="alert">
      {message}
    </div>
  );
}
