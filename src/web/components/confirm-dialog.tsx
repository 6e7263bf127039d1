import type { ReactNode } from 'react';
import { errorMessage } from '../api/client.js';
import { Button } from './button.js';
import { Dialog, useCloseDialog } from './dialog.js';
import { FormError } from './field.js';

export interface ConfirmDialogProps {
  title: string;
  /** What will happen, in a sentence or two. */
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  pending: boolean;
  /** The last attempt's error, shown in the dialog so the user can try again or cancel. */
  error: unknown;
  /** Called with a function that closes the dialog; call it once the action succeeded. */
  onConfirm(close: () => void): void;
  onClose(): void;
}

/** Asks before something that cannot be undone; the dangerous button says exactly what it does. */
export function ConfirmDialog({ title, onClose, ...body }: ConfirmDialogProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      <ConfirmBody {...body} />
    </Dialog>
  );
}

function ConfirmBody({ children, confirmLabel, pendingLabel, pending, error, onConfirm }: Omit<ConfirmDialogProps, 'title' | 'onClose'>) {
  const close = useCloseDialog();
  return (
    <>
      <div className="dialog__text">{children}</div>
      <FormError message={error ? errorMessage(error) : undefined} />
      <div className="dialog__actions">
        <Button onClick={close}>Cancel</Button>
        <Button variant="danger" onClick={() => onConfirm(close)} pending={pending} pendingLabel={pendingLabel}>
          {confirmLabel}
        </Button>
      </div>
    </>
  );
}
