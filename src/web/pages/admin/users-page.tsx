import { useState } from 'react';
import type { User } from '../../../common/api.js';
import { ApiError } from '../../api/client.js';
import { useUsers } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { PlusIcon } from '../../components/icons.js';
import { NotAllowed } from '../../components/not-allowed.js';
import { PageHeader } from '../../components/page-header.js';
import { LoadError, Loading } from '../../components/status.js';
import { useCurrentUser } from '../../hooks/use-current-user.js';
import { DisableUserDialog } from './disable-user-dialog.js';
import { NewUserDialog } from './new-user-dialog.js';
import { ResetPasswordDialog } from './reset-password-dialog.js';
import { UserRow } from './user-row.js';

type OpenDialog = { kind: 'new' } | { kind: 'disable'; user: User } | { kind: 'reset-password'; user: User } | null;

export default function UsersPage() {
  const me = useCurrentUser();
  const users = useUsers();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const closeDialog = () => setDialog(null);

  if (users.error instanceof ApiError && users.error.status === 403) return <NotAllowed />;
  const count = users.data?.length;

  return (
    <>
      <PageHeader
        title="Users"
        description={count === undefined ? 'Everyone who can log in to this labhub.' : `${count} ${count === 1 ? 'account' : 'accounts'} can log in to this labhub.`}
        actions={
          <Button variant="primary" onClick={() => setDialog({ kind: 'new' })}>
            <PlusIcon size={18} />
            New user
          </Button>
        }
      />
      {users.isPending ? (
        <Loading label="Loading users…" />
      ) : users.isError ? (
        <LoadError error={users.error} onRetry={() => void users.refetch()} retrying={users.isFetching} />
      ) : (
        <div className="table-card">
          <table className="table">
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Display name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <UserRow
                  key={user.username}
                  user={user}
                  isSelf={user.username === me.username}
                  onDisable={(target) => setDialog({ kind: 'disable', user: target })}
                  onResetPassword={(target) => setDialog({ kind: 'reset-password', user: target })}
                />
              ))}
            </tbody>
          </table>
          <p className="table-card__note" id="self-note">
            You cannot change your own role or disable yourself here; another admin can.
          </p>
        </div>
      )}
      {dialog?.kind === 'new' && <NewUserDialog onClose={closeDialog} />}
      {dialog?.kind === 'disable' && <DisableUserDialog user={dialog.user} onClose={closeDialog} />}
      {dialog?.kind === 'reset-password' && <ResetPasswordDialog user={dialog.user} isSelf={dialog.user.username === me.username} onClose={closeDialog} />}
    </>
  );
}
