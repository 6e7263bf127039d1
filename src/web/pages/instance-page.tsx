import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { Instance, PowerAction } from '../../common/instances.js';
import { ApiError, errorMessage } from '../api/client.js';
import { isBusy, useDeleteInstance, useInstance, usePowerAction } from '../api/instances.js';
import { Button } from '../components/button.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { AlertIcon, PauseIcon, PlayIcon, ResetIcon, StopIcon, TrashIcon } from '../components/icons.js';
import { InstanceStatusBadge, MachineStateChip, progressText } from '../components/instance-status.js';
import { AccessList, MachineTypeMark } from '../components/machine-summary.js';
import { NotFound } from '../components/not-found.js';
import { useNotify } from '../components/notices.js';
import { Section } from '../components/section.js';
import { PageHeader } from '../components/page-header.js';
import { LoadError, Loading } from '../components/status.js';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { formatDateTime, formatRelative } from '../format.js';

export default function InstancePage() {
  const { id = '' } = useParams();
  const instance = useInstance(id);
  if (instance.error instanceof ApiError && instance.error.status === 404) {
    return (
      <NotFound title="There is no such instance">
        <p>It may have been deleted, or stopped for good when its time ran out.</p>
      </NotFound>
    );
  }
  if (instance.isPending) return <Loading label="Loading the instance…" />;
  if (instance.isError) return <LoadError error={instance.error} onRetry={() => void instance.refetch()} retrying={instance.isFetching} />;
  return <InstanceView instance={instance.data} />;
}

type Confirming = 'reset' | 'delete' | null;

/** Which power buttons make sense in each status; Delete is always there, except while deleting. */
const actionsByStatus: Record<Instance['status'], PowerAction[]> = {
  starting: [],
  running: ['pause', 'stop', 'reset'],
  paused: ['resume', 'stop'],
  stopping: [],
  stopped: ['start', 'reset'],
  failed: ['start', 'reset'],
  deleting: [],
};

const actionLabels: Record<PowerAction, { label: string; pending: string }> = {
  start: { label: 'Start', pending: 'Starting…' },
  stop: { label: 'Stop', pending: 'Stopping…' },
  pause: { label: 'Pause', pending: 'Pausing…' },
  resume: { label: 'Resume', pending: 'Resuming…' },
  reset: { label: 'Reset', pending: 'Resetting…' },
};

const actionIcons: Record<PowerAction, typeof PlayIcon> = { start: PlayIcon, stop: StopIcon, pause: PauseIcon, resume: PlayIcon, reset: ResetIcon };

function InstanceView({ instance }: { instance: Instance }) {
  const me = useCurrentUser();
  const notify = useNotify();
  const navigate = useNavigate();
  const power = usePowerAction(instance.id);
  const remove = useDeleteInstance(instance.id);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const busy = isBusy(instance);
  const actions = busy ? [] : actionsByStatus[instance.status];
  const progress = progressText(instance);
  const failed = instance.status === 'failed';
  const yours = instance.owner === me.username;

  const run = (action: PowerAction, close?: () => void) =>
    power.mutate(action, {
      onSuccess: () => close?.(),
      onError: (error) => {
        if (!close) notify.error(errorMessage(error));
      },
    });

  return (
    <>
      <PageHeader
        title={instance.lab.title}
        description={
          <>
            {yours ? 'Your instance' : `Instance of ${instance.owner}`} of <Link to={`/labs/${encodeURIComponent(instance.lab.name)}`}>{instance.lab.name}</Link>, version {instance.lab.version} · started{' '}
            <time dateTime={instance.createdAt} title={formatDateTime(instance.createdAt)}>
              {formatRelative(instance.createdAt)}
            </time>
          </>
        }
        actions={
          instance.status !== 'deleting' && (
            <div className="power-actions" role="group" aria-label="Power">
              {actions.map((action) => {
                const Icon = actionIcons[action];
                const pending = power.isPending && power.variables === action;
                return (
                  <Button
                    key={action}
                    variant={action === 'start' || action === 'resume' ? 'primary' : 'secondary'}
                    onClick={() => (action === 'reset' ? setConfirming('reset') : run(action))}
                    pending={pending}
                    pendingLabel={actionLabels[action].pending}
                  >
                    <Icon size={16} />
                    {actionLabels[action].label}
                  </Button>
                );
              })}
              <Button variant="secondary" className="button--danger-text" onClick={() => setConfirming('delete')}>
                <TrashIcon size={16} />
                Delete
              </Button>
            </div>
          )
        }
      />

      {failed ? (
        <section className="panel panel--error instance-failure" aria-labelledby="failure-title">
          <h2 className="panel__title instance-failure__title" id="failure-title">
            <AlertIcon size={20} />
            {instance.desired === 'running' ? 'This instance could not start' : 'This instance failed'}
          </h2>
          <p className="instance-failure__message" role="alert">
            {progress ?? 'labhub did not say why; the server log has the details.'}
          </p>
          <p className="instance-failure__hint">Start tries again; Reset starts over from the base images; Delete removes the instance.</p>
        </section>
      ) : (
        <section className={`instance-status instance-status--${instance.status}`} aria-label="Status">
          <InstanceStatusBadge instance={instance} />
          <p className="instance-status__message" role="status">
            {progress ?? statusSentence(instance)}
          </p>
          {instance.expiresAt && instance.status !== 'deleting' && (
            <p className="instance-status__expiry">
              Stops by itself{' '}
              <time dateTime={instance.expiresAt} title={formatDateTime(instance.expiresAt)}>
                {formatRelative(instance.expiresAt)}
              </time>
            </p>
          )}
        </section>
      )}

      <Section title="Machines">
        <ul className="machine-cards">
          {instance.machines.map((machine) => (
            <li key={machine.name}>
              <article className="machine-card">
                <header className="machine-card__header">
                  <h3 className="machine-card__name">{machine.name}</h3>
                  <MachineTypeMark type={machine.type} />
                  <MachineStateChip state={machine.state} />
                </header>
                {machine.message && <p className="machine-card__message">{machine.message}</p>}
                <AccessList access={machine.access} />
              </article>
            </li>
          ))}
        </ul>
      </Section>

      {confirming === 'reset' && (
        <ConfirmDialog
          title={`Reset ${instance.lab.title}?`}
          confirmLabel="Reset machines"
          pendingLabel="Resetting…"
          pending={power.isPending}
          error={power.error}
          onClose={() => {
            setConfirming(null);
            power.reset();
          }}
          onConfirm={(close) => run('reset', close)}
        >
          <p>Every machine goes back to how the lab starts it. Files you made and programs you installed are lost.</p>
        </ConfirmDialog>
      )}
      {confirming === 'delete' && (
        <ConfirmDialog
          title={`Delete ${yours ? 'your' : `${instance.owner}'s`} instance of ${instance.lab.title}?`}
          confirmLabel="Delete instance"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          error={remove.error}
          onClose={() => setConfirming(null)}
          onConfirm={(close) =>
            remove.mutate(undefined, {
              onSuccess: () => {
                close();
                notify.success(`Deleting ${yours ? 'your' : `${instance.owner}'s`} instance of ${instance.lab.title}.`);
                void navigate('/');
              },
            })
          }
        >
          <p>Its machines and everything on them are removed. This cannot be undone; you can start the lab afresh from the catalog.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function statusSentence(instance: Instance): string {
  switch (instance.status) {
    case 'running':
      return 'All machines are up.';
    case 'paused':
      return 'The machines are frozen; Resume carries on where they were.';
    case 'stopped':
      return 'The machines are off; their disks are kept. Start turns them back on.';
    case 'starting':
      return 'Starting the machines…';
    case 'stopping':
      return 'Stopping the machines…';
    case 'deleting':
      return 'Removing the machines…';
    case 'failed':
      return 'The instance failed.';
  }
}
