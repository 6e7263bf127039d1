import type { Role, User } from '../../../common/api.js';
import { errorMessage } from '../../api/client.js';
import { useUpdateUser } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { useNotify } from '../../components/notices.js';
import { roleLabels } from '../../components/role-badge.js';
import { Spinner } from '../../components/spinner.js';

const withArticle: Record<Role, string> = { admin: 'an admin', author: 'an author', user: 'a user' };

interface UserRowProps {
  user: User;
  isSelf: boolean;
  onDisable(user: User): void;
  onResetPassword(user: User): void;
}

/** One user in the table: role and status change in place; each row has its own pending state. */
export function UserRow({ user, isSelf, onDisable, onResetPassword }: UserRowProps) {
  const notify = useNotify();
  const update = useUpdateUser(user.username);
  const pendingRole = update.isPending ? update.variables.role : undefined;
  const enabling = update.isPending && update.variables.disabled === false;

  const changeRole = (role: Role) =>
    update.mutate(
      { role },
      {
        onSuccess: (updated) => notify.success(`${updated.username} is now ${withArticle[updated.role]}.`),
        onError: (error) => notify.error(errorMessage(error)),
      },
    );
  const enable = () =>
    update.mutate(
      { disabled: false },
      { onSuccess: () => notify.success(`Enabled ${user.username}.`), onError: (error) => notify.error(errorMessage(error)) },
    );

  return (
    <tr className={user.disabled ? 'is-disabled' : undefined}>
      <th scope="row" data-label="Username">
        <span>
          <span className="username">{user.username}</span>
          {isSelf && <span className="badge badge--you">you</span>}
        </span>
      </th>
      <td data-label="Display name">{user.displayName}</td>
      <td data-label="Email">{user.email ?? <span className="muted">—</span>}</td>
      <td data-label="Role">
        <span className="inline-control">
          <select
            className="input select select--compact"
            aria-label={`Role of ${user.username}`}
            aria-describedby={isSelf ? 'self-note' : undefined}
            value={pendingRole ?? user.role}
            disabled={isSelf || update.isPending}
            onChange={(event) => changeRole(event.target.value as Role)}
          >
            {(Object.keys(roleLabels) as Role[]).map((role) => (
              <option key={role} value={role}>
                {roleLabels[role]}
              </option>
            ))}
          </select>
          {pendingRole && <Spinner />}
        </span>
      </td>
      <td data-label="Status">
        <span className={user.disabled ? 'status status--disabled' : 'status status--active'}>{user.disabled ? 'Disabled' : 'Active'}</span>
      </td>
      <td data-label="Actions" className="actions-cell">
        <span className="row-actions">
          {!isSelf &&
            (user.disabled ? (
              <Button size="small" onClick={enable} pending={enabling} pendingLabel="Enabling…">
                Enable<span className="visually-hidden"> {user.username}</span>
              </Button>
            ) : (
              <Button size="small" onClick={() => onDisable(user)}>
                Disable<span className="visually-hidden"> {user.username}</span>
              </Button>
            ))}
          <Button size="small" onClick={() => onResetPassword(user)}>
            Reset password<span className="visually-hidden"> of {user.username}</span>
          </Button>
        </span>
      </td>
    </tr>
  );
}
