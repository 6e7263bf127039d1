import { useState, type FormEvent } from 'react';
import type { Instance } from '../../../common/instances.js';
import { errorMessage } from '../../api/client.js';
import { useGrantShare, useRevokeShare, useShares } from '../../api/shares.js';
import { Button } from '../../components/button.js';
import { Dialog, useCloseDialog } from '../../components/dialog.js';
import { FormError, SelectField, TextField } from '../../components/field.js';
import { LoadError, Loading } from '../../components/status.js';
import { useFieldProblems } from '../../hooks/use-field-problems.js';

const fields = ['username', 'access'] as const;

/** The owner lets others watch (a teacher, a classmate) or use the instance; a withdrawn share closes their open views at once. */
export function ShareDialog({ instance, onClose }: { instance: Instance; onClose(): void }) {
  return (
    <Dialog title={`Share ${instance.lab.title}`} onClose={onClose}>
      <ShareForm instance={instance} />
    </Dialog>
  );
}

function ShareForm({ instance }: { instance: Instance }) {
  const close = useCloseDialog();
  const shares = useShares(instance.id);
  const grant = useGrantShare(instance.id);
  const revoke = useRevokeShare(instance.id);
  const [username, setUsername] = useState('');
  const [access, setAccess] = useState<'view' | 'control'>('view');
  const problems = useFieldProblems(grant.error, fields);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    grant.mutate({ username: username.trim(), access }, { onSuccess: () => setUsername('') });
  };

  return (
    <div className="share-dialog">
      <p className="dialog__text">
        <strong>Watch</strong> shows the screens and terminals as they are, without input. <strong>Use</strong> lets them type, click and power the machines too. Only you can delete the instance or change who has access.
      </p>
      <form className="share-dialog__form" onSubmit={submit}>
        <TextField label="Username" value={username} onChange={(event) => setUsername(event.target.value)} problem={problems.of('username')} autoComplete="off" required />
        <SelectField label="Access" value={access} onChange={(event) => setAccess(event.target.value as 'view' | 'control')} problem={problems.of('access')}>
          <option value="view">Watch only</option>
          <option value="control">Use</option>
        </SelectField>
        <Button type="submit" variant="primary" pending={grant.isPending} pendingLabel="Sharing…" disabled={username.trim() === ''}>
          Share
        </Button>
      </form>
      <FormError message={grant.error && problems.of('username') === undefined ? errorMessage(grant.error) : undefined} />
      <h3 className="share-dialog__heading">Shared with</h3>
      {shares.isPending ? (
        <Loading label="Loading the shares…" />
      ) : shares.isError ? (
        <LoadError error={shares.error} onRetry={() => void shares.refetch()} retrying={shares.isFetching} />
      ) : shares.data.length === 0 ? (
        <p className="share-dialog__empty">Nobody yet.</p>
      ) : (
        <ul className="share-dialog__list">
          {shares.data.map((share) => (
            <li key={share.username} className="share-dialog__item">
              <span className="share-dialog__who">{share.username}</span>
              <span className="share-dialog__access">{share.access === 'view' ? 'Watches' : 'Uses'}</span>
              <Button size="small" variant="secondary" className="button--danger-text" onClick={() => revoke.mutate(share.username)} pending={revoke.isPending && revoke.variables === share.username} pendingLabel="Removing…" aria-label={`Stop sharing with ${share.username}`}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <FormError message={revoke.error ? errorMessage(revoke.error) : undefined} />
      <div className="dialog__actions">
        <Button onClick={close}>Done</Button>
      </div>
    </div>
  );
}
