import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { Instance, PowerAction } from '../../../common/instances.js';
import { errorMessage } from '../../api/client.js';
import { isBusy, useDeleteInstance, type usePowerAction } from '../../api/instances.js';
import { Button } from '../../components/button.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { PauseIcon, PlayIcon, ResetIcon, StopIcon, TrashIcon } from '../../components/icons.js';
import { useNotify } from '../../components/notices.js';

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

export const actionLabels: Record<PowerAction, { label: string; pending: string }> = {
  start: { label: 'Start', pending: 'Starting…' },
  stop: { label: 'Stop', pending: 'Stopping…' },
  pause: { label: 'Pause', pending: 'Pausing…' },
  resume: { label: 'Resume', pending: 'Resuming…' },
  reset: { label: 'Reset', pending: 'Resetting…' },
};

export const actionIcons: Record<PowerAction, typeof PlayIcon> = { start: PlayIcon, stop: StopIcon, pause: PauseIcon, resume: PlayIcon, reset: ResetIcon };

export type PowerMutation = ReturnType<typeof usePowerAction>;

/** Runs a power action; errors go to a notice, since no dialog is open to show them. */
export function usePowerRunner(power: PowerMutation) {
  const notify = useNotify();
  return (action: PowerAction, close?: () => void) =>
    power.mutate(action, {
      onSuccess: () => close?.(),
      onError: (error) => {
        if (!close) notify.error(errorMessage(error));
      },
    });
}

type Confirming = 'reset' | 'delete' | null;

/** Start, stop, pause, resume, reset (asks first) and delete (asks first) for one instance. */
export function PowerActions({ instance, power, yours }: { instance: Instance; power: PowerMutation; yours: boolean }) {
  const notify = useNotify();
  const navigate = useNavigate();
  const remove = useDeleteInstance(instance.id);
  const run = usePowerRunner(power);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const actions = isBusy(instance) ? [] : actionsByStatus[instance.status];
  if (instance.status === 'deleting' || instance.access === 'view') return null;
  const manages = instance.access === 'owner' || instance.access === 'admin';

  return (
    <>
      <div className="power-actions" role="group" aria-label="Power">
        {actions.map((action) => {
          const Icon = actionIcons[action];
          return (
            <Button
              key={action}
              size="small"
              variant={action === 'start' || action === 'resume' ? 'primary' : 'secondary'}
              onClick={() => (action === 'reset' ? setConfirming('reset') : run(action))}
              pending={power.isPending && power.variables === action}
              pendingLabel={actionLabels[action].pending}
            >
              <Icon size={16} />
              {actionLabels[action].label}
            </Button>
          );
        })}
        {manages && (
          <Button size="small" variant="secondary" className="button--danger-text" onClick={() => setConfirming('delete')}>
            <TrashIcon size={16} />
            Delete
          </Button>
        )}
      </div>
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
