import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { Group } from '../../../common/api.js';
import { ApiError, errorMessage } from '../../api/client.js';
import { useAddMember, useCreateGroup, useDeleteGroup, useGroup, useGroups, useRemoveMember } from '../../api/groups.js';
import { useUsers } from '../../api/users.js';
import { Button } from '../../components/button.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { FormError, TextField } from '../../components/field.js';
import { PlusIcon, TrashIcon } from '../../components/icons.js';
import { NotAllowed } from '../../components/not-allowed.js';
import { useNotify } from '../../components/notices.js';
import { PageHeader } from '../../components/page-header.js';
import { LoadError, Loading } from '../../components/status.js';
import { formatDateTime, plural } from '../../format.js';
import { useFieldProblems } from '../../hooks/use-field-problems.js';

const groupFields = ['name', 'description'] as const;

/** Groups (a course, a class) and their members. The chosen group is in the URL (`?group=`), so a link opens it. */
export default function GroupsPage() {
  const groups = useGroups();
  const [params, setParams] = useSearchParams();
  const selected = params.get('group') ?? undefined;
  const [deleting, setDeleting] = useState<Group | null>(null);
  const select = (name: string | undefined) => setParams(name ? { group: name } : {}, { replace: true });

  if (groups.error instanceof ApiError && groups.error.status === 403) return <NotAllowed />;

  return (
    <>
      <PageHeader
        title="Groups"
        description={
          <>
            Courses and classes. A lab whose <code>spec.groups</code> names a group is only for its members — and for admins and the lab&apos;s authors.
          </>
        }
      />
      <NewGroupForm onCreated={select} />
      {groups.isPending ? (
        <Loading label="Loading groups…" />
      ) : groups.isError ? (
        <LoadError error={groups.error} onRetry={() => void groups.refetch()} retrying={groups.isFetching} />
      ) : groups.data.length === 0 ? (
        <p className="muted groups__empty">No groups yet. Create one above, then add members.</p>
      ) : (
        <div className="groups">
          <div className="table-card">
            <table className="table">
              <caption className="visually-hidden">Groups</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Members</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {groups.data.map((group) => (
                  <tr key={group.name} className={group.name === selected ? 'is-selected' : undefined} aria-current={group.name === selected ? 'true' : undefined}>
                    <th scope="row" data-label="Name">
                      <span className="username">{group.name}</span>
                    </th>
                    <td data-label="Description">{group.description || <span className="muted">—</span>}</td>
                    <td data-label="Members">{group.memberCount}</td>
                    <td data-label="Actions" className="actions-cell">
                      <span className="row-actions">
                        <Button size="small" onClick={() => select(group.name)} aria-pressed={group.name === selected}>
                          Members<span className="visually-hidden"> of {group.name}</span>
                        </Button>
                        <Button size="small" variant="quiet" onClick={() => setDeleting(group)}>
                          <TrashIcon size={16} />
                          Delete<span className="visually-hidden"> {group.name}</span>
                        </Button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {selected && <GroupMembers key={selected} name={selected} onClose={() => select(undefined)} />}
        </div>
      )}
      {deleting && <DeleteGroupDialog group={deleting} onDeleted={() => deleting.name === selected && select(undefined)} onClose={() => setDeleting(null)} />}
    </>
  );
}

function NewGroupForm({ onCreated }: { onCreated(name: string): void }) {
  const create = useCreateGroup();
  const notify = useNotify();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState({ name: '', description: '' });
  const problems = useFieldProblems(create.error, groupFields);

  useEffect(() => {
    if (create.error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [create.error]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (create.isPending) return;
    const name = draft.name.trim();
    create.mutate(
      { name, ...(draft.description.trim() && { description: draft.description.trim() }) },
      {
        onSuccess: () => {
          notify.success(`Created group ${name}.`);
          setDraft({ name: '', description: '' });
          onCreated(name);
        },
      },
    );
  };
  const placed = groupFields.some((field) => problems.of(field));
  const formMessage = !create.error ? undefined : problems.unplaced.length > 0 ? problems.unplaced.join('; ') : placed ? undefined : errorMessage(create.error);

  return (
    <form ref={form} className="form inline-form" onSubmit={onSubmit} noValidate aria-label="New group">
      <TextField
        label="New group"
        name="name"
        hint="Lower-case letters, digits, dots, dashes and underscores, e.g. networking-101."
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        required
        value={draft.name}
        onChange={(event) => setDraft((current) => ({ ...current, name: event.target.value }))}
        problem={problems.of('name')}
      />
      <TextField
        label="Description"
        name="description"
        optional
        autoComplete="off"
        value={draft.description}
        onChange={(event) => setDraft((current) => ({ ...current, description: event.target.value }))}
        problem={problems.of('description')}
      />
      <Button type="submit" variant="primary" pending={create.isPending} pendingLabel="Creating…">
        <PlusIcon size={18} />
        Create group
      </Button>
      <FormError message={formMessage} />
    </form>
  );
}

function GroupMembers({ name, onClose }: { name: string; onClose(): void }) {
  const group = useGroup(name);
  const users = useUsers();
  const add = useAddMember(name);
  const remove = useRemoveMember(name);
  const notify = useNotify();
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const [username, setUsername] = useState('');
  const problems = useFieldProblems(add.error, ['username'] as const);

  // Choosing a group moves focus here, so keyboard and screen reader users land on what opened.
  useEffect(() => heading.current?.focus(), []);

  const onAdd = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (add.isPending) return;
    const member = username.trim();
    add.mutate(member, {
      onSuccess: () => {
        notify.success(`Added ${member} to ${name}.`);
        setUsername('');
        input.current?.focus();
      },
      onError: () => input.current?.focus(),
    });
  };
  const onRemove = (member: string) =>
    remove.mutate(member, {
      onSuccess: () => notify.success(`Removed ${member} from ${name}.`),
      onError: (error) => notify.error(errorMessage(error)),
    });

  const members = group.data?.members ?? [];
  const memberNames = new Set(members.map((member) => member.username));
  const addMessage = add.error && !problems.of('username') ? errorMessage(add.error) : undefined;

  return (
    <section className="panel group-members" aria-labelledby={`${listId}-title`}>
      <div className="group-members__header">
        <h2 className="panel__title" id={`${listId}-title`} ref={heading} tabIndex={-1}>
          Members of <span className="username">{name}</span>
        </h2>
        <Button size="small" variant="quiet" onClick={onClose}>
          Close<span className="visually-hidden"> the members of {name}</span>
        </Button>
      </div>
      {group.isPending ? (
        <Loading label="Loading members…" />
      ) : group.isError ? (
        <LoadError error={group.error} onRetry={() => void group.refetch()} retrying={group.isFetching} />
      ) : (
        <>
          <form className="form inline-form" onSubmit={onAdd} noValidate aria-label={`Add a member to ${name}`}>
            <TextField
              label="Member to add"
              name="username"
              hint="A username; start typing to see suggestions."
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              list={`${listId}-users`}
              ref={input}
              value={username}
              onChange={(event) => setUsername(event.target.value)}
              problem={problems.of('username')}
            />
            <datalist id={`${listId}-users`}>
              {(users.data ?? [])
                .filter((user) => !memberNames.has(user.username))
                .map((user) => (
                  <option key={user.username} value={user.username}>
                    {user.displayName}
                  </option>
                ))}
            </datalist>
            <Button type="submit" variant="primary" pending={add.isPending} pendingLabel="Adding…">
              Add
            </Button>
            <FormError message={addMessage} />
          </form>
          {members.length === 0 ? (
            <p className="muted">No members yet.</p>
          ) : (
            <table className="table">
              <caption className="visually-hidden">Members of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Display name</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.map((member) => (
                  <tr key={member.username}>
                    <th scope="row" data-label="Username">
                      <span className="username">{member.username}</span>
                    </th>
                    <td data-label="Display name">{member.displayName}</td>
                    <td data-label="Added">
                      {member.source === 'sso' ? 'by single sign-on' : 'by an admin'}, {formatDateTime(member.addedAt)}
                    </td>
                    <td data-label="Actions" className="actions-cell">
                      <Button size="small" onClick={() => onRemove(member.username)} pending={remove.isPending && remove.variables === member.username} pendingLabel="Removing…">
                        Remove<span className="visually-hidden"> {member.username}</span>
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted group-members__count">{plural(members.length, 'member')}</p>
        </>
      )}
    </section>
  );
}

function DeleteGroupDialog({ group, onDeleted, onClose }: { group: Group; onDeleted(): void; onClose(): void }) {
  const remove = useDeleteGroup();
  const notify = useNotify();
  return (
    <ConfirmDialog
      title={`Delete ${group.name}?`}
      confirmLabel="Delete group"
      pendingLabel="Deleting…"
      pending={remove.isPending}
      error={remove.error}
      onClose={onClose}
      onConfirm={(close) =>
        remove.mutate(group.name, {
          onSuccess: () => {
            notify.success(`Deleted group ${group.name}.`);
            onDeleted();
            close();
          },
        })
      }
    >
      <p>
        Its {plural(group.memberCount, 'member')} stay users but leave the group. Labs limited to <span className="username">{group.name}</span> are then only shown to
        admins and their authors, until their <code>spec.groups</code> changes.
      </p>
    </ConfirmDialog>
  );
}
