import type { ReactNode } from 'react';
import { errorMessage } from '../api/client.js';
import { Button } from './button.js';
import { Spinner } from './spinner.js';

/** Shown while a page's data or code loads. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <Spinner size="large" />
      <span>{label}</span>
    </div>
  );
}

/** A panel saying that loading failed, with a way to try again. */
export function LoadError({ error, onRetry, retrying = false }: { error: unknown; onRetry(): void; retrying?: boolean }) {
  return (
    <div className="panel panel--error" role="alert">
      <h2 className="panel__title">This could not be loaded</h2>
      <p>{errorMessage(error)}</p>
      <Button onClick={onRetry} pending={retrying} pendingLabel="Trying again…">
        Try again
      </Button>
    </div>
  );
}

/** A friendly panel for "nothing here yet" and "you cannot go here" moments. */
export function EmptyState({ icon, title, children }: { icon: ReactNode; title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <div className="empty-state__icon" aria-hidden="true">
        {icon}
      </div>
      <h2 className="empty-state__title">{title}</h2>
      {children}
    </div>
  );
}
