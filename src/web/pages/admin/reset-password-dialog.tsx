import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { User } from '../../../common/api.js';
import { errorMessage } from '../../api/client.js';
import { useUpdateUser } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { Dialog, useCloseDialog } from '../../components/dialog.js';
import { FormError, TextField } from '../../components/field.js';
import { useNotify } from '../../components/notices.js';
import { useFieldProblems } from '../../hooks/use-field-problems.js';

const fields = ['password'] as const;

export function ResetPasswordDialog({ user, isSelf, onClose }: { user: User; isSelf: boolean; onClose(): void }) {
  return (
    <Dialog title={`Reset the password of ${user.username}`} onClose={onClose}>
      <ResetPasswordForm user={user} isSelf={isSelf} />
    </Dialog>
  );
}

function ResetPasswordForm({ user, isSelf }: { user: User; isSelf: boolean }) {
  const close = useCloseDialog();
  const notify = useNotify();
  const update = useUpdateUser(user.username);
  const input = useRef<HTMLInputElement>(null);
  const [password, setPassword] = useState('');
  const problems = useFieldProblems(update.error, fields);
  const problem = problems.of('password');

  useEffect(() => {
    if (update.error) input.current?.focus();
  }, [update.error]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (update.isPending) return;
    update.mutate(
      { password },
      {
        onSuccess: () => {
          notify.success(`Changed the password of ${user.username}.`);
          close();
        },
      },
    );
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <p className="dialog__text">
        {isSelf ? 'This is your own account: you will be logged out everywhere, this browser too.' : `${user.displayName} will be logged out everywhere and must use the new password from now on.`}
      </p>
      <FormError message={update.error && !problem ? errorMessage(update.error) : undefined} />
      <TextField
        label="New password"
        name="password"
        type="password"
        hint="At least 8 characters."
        autoComplete="new-password"
        required
        ref={input}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        problem={problem}
      />
      <div className="dialog__actions">
        <Button onClick={close}>Cancel</Button>
        <Button type="submit" variant="primary" pending={update.isPending} pendingLabel="Saving…">
          Set password
        </Button>
      </div>
    </form>
  );
}
