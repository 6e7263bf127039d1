import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CreateUserRequest, Role } from '../../../common/api.js';
import { ApiError, errorMessage } from '../../api/client.js';
import { useCreateUser } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { Dialog, useCloseDialog } from '../../components/dialog.js';
import { FormError, SelectField, TextField } from '../../components/field.js';
import { useNotify } from '../../components/notices.js';
import { roleLabels } from '../../components/role-badge.js';
import { useFieldProblems } from '../../hooks/use-field-problems.js';

const fields = ['username', 'displayName', 'email', 'password', 'role'] as const;

export function NewUserDialog({ onClose }: { onClose(): void }) {
  return (
    <Dialog title="New user" onClose={onClose}>
      <NewUserForm />
    </Dialog>
  );
}

function NewUserForm() {
  const close = useCloseDialog();
  const notify = useNotify();
  const create = useCreateUser();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState({ username: '', displayName: '', email: '', password: '', role: 'user' as Role });
  const problems = useFieldProblems(create.error, fields);

  // Put the cursor on the first field the server refused.
  useEffect(() => {
    if (create.error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [create.error]);

  const set = (field: keyof typeof draft) => (event: { target: { value: string } }) => setDraft((current) => ({ ...current, [field]: event.target.value }));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (create.isPending) return;
    const request: CreateUserRequest = { username: draft.username.trim(), password: draft.password, role: draft.role };
    if (draft.displayName.trim()) request.displayName = draft.displayName.trim();
    if (draft.email.trim()) request.email = draft.email.trim();
    create.mutate(request, {
      onSuccess: (user) => {
        notify.success(`Created user ${user.username}.`);
        close();
      },
    });
  };

  const placed = fields.some((field) => problems.of(field));
  const formMessage = !create.error
    ? undefined
    : problems.unplaced.length > 0
      ? problems.unplaced.join('; ')
      : placed
        ? 'Check the fields marked below.'
        : create.error instanceof ApiError
          ? create.error.message
          : errorMessage(create.error);

  return (
    <form ref={form} className="form" onSubmit={onSubmit} noValidate>
      <FormError message={formMessage} />
      <TextField
        label="Username"
        name="username"
        hint="Lower-case letters, digits, dots, dashes and underscores."
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        required
        value={draft.username}
        onChange={set('username')}
        problem={problems.of('username')}
      />
      <TextField label="Display name" name="displayName" optional autoComplete="off" value={draft.displayName} onChange={set('displayName')} problem={problems.of('displayName')} />
      <TextField label="Email" name="email" type="email" optional autoComplete="off" value={draft.email} onChange={set('email')} problem={problems.of('email')} />
      <TextField
        label="Password"
        name="password"
        type="password"
        hint="At least 8 characters. Share it with the user in person."
        autoComplete="new-password"
        required
        value={draft.password}
        onChange={set('password')}
        problem={problems.of('password')}
      />
      <SelectField label="Role" name="role" value={draft.role} onChange={set('role')} problem={problems.of('role')} hint="Authors also write labs; admins manage everything.">
        {(Object.keys(roleLabels) as Role[]).reverse().map((role) => (
          <option key={role} value={role}>
            {roleLabels[role]}
          </option>
        ))}
      </SelectField>
      <div className="dialog__actions">
        <Button onClick={close}>Cancel</Button>
        <Button type="submit" variant="primary" pending={create.isPending} pendingLabel="Creating…">
          Create user
        </Button>
      </div>
    </form>
  );
}
