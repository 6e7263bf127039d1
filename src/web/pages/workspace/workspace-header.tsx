import { Link } from 'react-router-dom';
import { Button } from '../../components/button.js';
import type { Instance } from '../../../common/instances.js';
import { useState } from 'react';
import { BookIcon, ShareIcon } from '../../components/icons.js';
import { InstanceStatusBadge, progressText } from '../../components/instance-status.js';
import { useDocumentTitle } from '../../hooks/use-document-title.js';
import { formatDateTime, formatRelative } from '../../format.js';
import { PowerActions, type PowerMutation } from './power-actions.js';
import { ShareDialog } from './share-dialog.js';
import { TimeLeft } from './time-limits.js';

export interface WorkspaceHeaderProps {
  instance: Instance;
  yours: boolean;
  power: PowerMutation;
  instructions: { shown: boolean; toggle(): void; paneId: string; shortcut: string };
}

/** The lab's title, what the instance is doing right now, the time it has left, and its power buttons. */
export function WorkspaceHeader({ instance, yours, power, instructions }: WorkspaceHeaderProps) {
  useDocumentTitle(instance.lab.title);
  const progress = progressText(instance);
  const [sharing, setSharing] = useState(false);
  const manages = instance.access === 'owner' || instance.access === 'admin';
  return (
    <header className="workspace-header">
      <div className="workspace-header__identity">
        <div className="workspace-header__headline">
          <h1 className="workspace-header__title">{instance.lab.title}</h1>
          <InstanceStatusBadge instance={instance} />
        </div>
        <p className="workspace-header__line">
          {/* A failure is told in full below the header; here it is only named. */}
          <span className={`workspace-header__progress workspace-header__progress--${instance.status}`} role="status">
            {instance.status === 'failed' ? statusSentence(instance) : (progress ?? statusSentence(instance))}
          </span>
          <span className="workspace-header__meta">
            {yours ? 'Your instance' : `Instance of ${instance.owner}`}
            {instance.access === 'view' && <strong className="workspace-header__access"> (you are watching: input is off)</strong>}
            {instance.access === 'control' && <strong className="workspace-header__access"> (shared with you)</strong>} of <Link to={`/labs/${encodeURIComponent(instance.lab.name)}`}>{instance.lab.name}</Link>, version {instance.lab.version} · started{' '}
            <time dateTime={instance.createdAt} title={formatDateTime(instance.createdAt)}>
              {formatRelative(instance.createdAt)}
            </time>
          </span>
        </p>
      </div>
      <div className="workspace-header__actions">
        <TimeLeft instance={instance} />
        <PowerActions instance={instance} power={power} yours={yours} />
        {manages && (
          <Button size="small" variant="secondary" onClick={() => setSharing(true)}>
            <ShareIcon size={16} />
            Share
          </Button>
        )}
        {sharing && <ShareDialog instance={instance} onClose={() => setSharing(false)} />}
        <button
          type="button"
          className={instructions.shown ? 'button button--small button--secondary toggle-button toggle-button--on' : 'button button--small button--secondary toggle-button'}
          aria-expanded={instructions.shown}
          aria-controls={instructions.paneId}
          aria-keyshortcuts={instructions.shortcut}
          title={`${instructions.shown ? 'Hide' : 'Show'} the instructions (${instructions.shortcut})`}
          onClick={instructions.toggle}
        >
          <BookIcon size={16} />
          Instructions
        </button>
      </div>
    </header>
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
      return instance.desired === 'running' ? 'Could not start.' : 'Failed.';
  }
}
