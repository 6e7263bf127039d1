import { createContext, useContext, useEffect, useId, useRef, type ReactNode } from 'react';

const DialogContext = createContext<(() => void) | null>(null);

/** Closes the enclosing dialog, which then calls its `onClose`; focus returns to where it was before the dialog opened. */
export function useCloseDialog(): () => void {
  const close = useContext(DialogContext);
  if (!close) throw new Error('useCloseDialog is only usable inside a Dialog');
  return close;
}

export interface DialogProps {
  title: string;
  /** Called after the dialog closed (Escape, Cancel, or `useCloseDialog()`); the parent then unmounts it. */
  onClose(): void;
  children: ReactNode;
}

/**
 * A modal dialog on the native `<dialog>`: the browser traps focus, closes on Escape, makes the
 * page behind it inert and gives focus back when it closes. It opens when mounted; focus starts
 * on its first control.
 */
export function Dialog({ title, onClose, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const close = () => ref.current?.close();
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose}>
      <h2 className="dialog__title" id={titleId}>
        {title}
      </h2>
      <DialogContext value={close}>{children}</DialogContext>
    </dialog>
  );
}
