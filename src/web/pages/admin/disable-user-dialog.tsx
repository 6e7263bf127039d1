import type { User } from '../../../common/api.js';
import { errorMessage } from '../../api/client.js';
import { useUpdateUser } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { Dialog, useCloseDialog } from '../../components/dialog.js';
import { FormError } from '../../components/field.js';
import { useNotify } from '../../components/notices.js';

/** Asks before disabling: it logs the user out at once. */
export function DisableUserDialog({ user, onClose }: { user: User; onClose(): void }) {
  return (
    <Dialog title={`Disable ${user.username}?`} onClose={onClose}>
      <ConfirmDisable user={user} />
    </Dialog>
  );
}

function ConfirmDisable({ user }: { user: User }) {
  const close = useCloseDialog();
  const notify = useNotify();
  const update = useUpdateUser(user.username);
  const confirm = () =>
    update.mutate(
      { disabled: true },
      {
        onSuccess: () => {
          notify.success(`Disabled ${user.username}.`);
          close();
        },
      },
    );
  return (
    <>
      <p className="dialog__text">
        {user.displayName} will be logged out at once and cannot log in until you enable the account again. Nothing of theirs is deleted.
      </p>
      <FormError message={update.error ? errorMessage(update.error) : undefined} />
      <div className="dialog__actions">
        <Button onClick={close}>Cancel</Button>
        <Button variant="danger" onClick={confirm} pending={update.isPending} pendingLabel="Disabling…">
          Disable user
        </Button>
      </div>
    </>
  );
}
