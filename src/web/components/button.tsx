import type { ButtonHTMLAttributes, MouseEvent } from 'react';
import { Spinner } from './spinner.js';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: 'primary' | 'secondary' | 'danger' | 'quiet';
  size?: 'normal' | 'small';
  /** While true the button shows a spinner and ignores clicks, but keeps focus (it is aria-disabled, not disabled). */
  pending?: boolean;
  /** What the button says while pending, e.g. "Creating…". */
  pendingLabel?: string;
}

export function Button({ variant = 'secondary', size = 'normal', pending = false, pendingLabel, type = 'button', className, onClick, children, ...rest }: ButtonProps) {
  const classes = ['button', `button--${variant}`, size === 'small' && 'button--small', className].filter(Boolean).join(' ');
  const handleClick = (event: MouseEvent<HTMLButtonElement>) => {
    if (pending) {
      event.preventDefault();
      return;
    }
    onClick?.(event);
  };
  return (
    <button type={type} className={classes} aria-disabled={pending || undefined} aria-busy={pending || undefined} onClick={handleClick} {...rest}>
      {pending && <Spinner />}
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  );
}
