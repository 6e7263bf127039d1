import { useRouteError } from 'react-router-dom';
import { AlertIcon } from './icons.js';
import { EmptyState } from './status.js';

/** Shown instead of a blank page when rendering fails; a reload usually helps, and says so. */
export function CrashPage() {
  const error = useRouteError();
  console.error(error);
  return (
    <main className="centered" id="main">
      <EmptyState icon={<AlertIcon size={32} />} title="Something went wrong">
        <p>This page failed to show. Reloading it usually helps.</p>
        <button type="button" className="button button--primary" onClick={() => window.location.reload()}>
          Reload the page
        </button>
      </EmptyState>
    </main>
  );
}
