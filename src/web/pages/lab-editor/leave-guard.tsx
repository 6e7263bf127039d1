import { useEffect } from 'react';
import { useBlocker } from 'react-router-dom';
import { Button } from '../../components/button.js';
import { Dialog, useCloseDialog } from '../../components/dialog.js';

/**
 * Asks before unsaved changes are lost: a link inside labhub opens a dialog, closing or reloading
 * the tab the browser's own question. `when` is read at the moment of leaving.
 */
export function LeaveGuard({ when }: { when: () => boolean }) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => currentLocation.pathname !== nextLocation.pathname && when());

  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (when()) event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [when]);

  if (blocker.state !== 'blocked') return null;
  return (
    <Dialog title="Leave without saving?" onClose={() => blocker.state === 'blocked' && blocker.reset()}>
      <LeaveChoice onLeave={() => blocker.proceed()} />
    </Dialog>
  );
}

function LeaveChoice({ onLeave }: { onLeave(): void }) {
  const close = useCloseDialog();
  return (
    <>
      <p className="dialog__text">Your changes to this lab are not saved. If you leave now, they are lost.</p>
      <div className="dialog__actions">
        <Button onClick={close}>Keep editing</Button>
        <Button variant="danger" onClick={onLeave}>
          Leave and lose changes
        </Button>
      </div>
    </>
  );
}
