import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { LabDetail, LabMachineDetail } from '../../common/lab/api.js';
import { ApiError, errorMessage } from '../api/client.js';
import { useCreateInstance, useInstances } from '../api/instances.js';
import { useDeleteLab } from '../api/labs.js';
import { Button } from '../components/button.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { FormError } from '../components/field.js';
import { AlertIcon, ArrowRightIcon, CheckIcon, FileIcon, PencilIcon, PlayIcon, StackIcon, TrashIcon } from '../components/icons.js';
import { InstanceStatusBadge } from '../components/instance-status.js';
import { ProblemText } from '../components/lab-problem.js';
import { AccessList, MachineTypeMark } from '../components/machine-summary.js';
import { useNotify } from '../components/notices.js';
import { LabLoader } from '../components/lab-loader.js';
import { Section } from '../components/section.js';
import { PageHeader } from '../components/page-header.js';
import { useCanAuthor } from '../hooks/use-can-author.js';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { formatBytes, formatCpu, formatDateTime, formatDuration, formatRelative, plural } from '../format.js';
import { LabAuthorsPanel } from './lab-authors-panel.js';
import { useMyQuota } from '../api/quotas.js';

export default function LabPage() {
  const { lab: name = '' } = useParams();
  return <LabLoader name={name}>{(lab) => <LabView lab={lab} />}</LabLoader>;
}

function LabView({ lab }: { lab: LabDetail }) {
  const canAuthor = useCanAuthor();
  // Only the lab's owner, its authors and admins get `authorship` (decision 0015): they edit it and follow its learners.
  const holds = lab.authorship !== undefined;
  const [deleting, setDeleting] = useState(false);
  const broken = lab.status === 'broken';

  return (
    <>
      <PageHeader
        title={lab.title}
        description={lab.description || undefined}
        actions={
          holds && (
            <>
              <Link className="button button--secondary" to={`/labs/${encodeURIComponent(lab.name)}/progress`}>
                <StackIcon size={16} />
                Learners&rsquo; progress
              </Link>
              {lab.source === 'store' && (
                <>
                  <Link className="button button--secondary" to={`/labs/${encodeURIComponent(lab.name)}/edit`}>
                    <PencilIcon size={16} />
                    Edit
                  </Link>
                  <Button variant="secondary" onClick={() => setDeleting(true)}>
                    <TrashIcon size={16} />
                    Delete
                  </Button>
                </>
              )}
            </>
          )
        }
      />
      {lab.tags.length > 0 && (
        <ul className="tag-list tag-list--page" aria-label="Tags">
          {lab.tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      )}
      <div className="lab-layout">
        <div className="lab-layout__main">
          {broken && <BrokenNotice lab={lab} holds={holds} />}
          {lab.machines.length > 0 && (
            <Section title="Machines">
              <ul className="machine-cards">
                {lab.machines.map((machine) => (
                  <li key={machine.name}>
                    <MachineCard machine={machine} />
                  </li>
                ))}
              </ul>
            </Section>
          )}
          {lab.instructions.length > 0 && (
            <Section title="Steps">
              <ol className="step-list">
                {lab.instructions.map((step, index) => (
                  <li key={index} className="step-list__item">
                    <span className="step-list__number" aria-hidden="true">
                      {index + 1}
                    </span>
                    <span className="step-list__title">{step.title}</span>
                    {step.check && (
                      <span className="step-list__check" title={`labhub tells when this step is done, by a check on ${step.check.machine}`}>
                        <CheckIcon size={14} />
                        checked automatically
                      </span>
                    )}
                  </li>
                ))}
              </ol>
            </Section>
          )}
        </div>
        <aside className="lab-layout__side">
          {!broken && <StartPanel lab={lab} />}
          <LabFacts lab={lab} canAuthor={canAuthor} />
          {lab.authorship && <LabAuthorsPanel lab={lab} authorship={lab.authorship} />}
        </aside>
      </div>
      {deleting && <DeleteLabDialog lab={lab} onClose={() => setDeleting(false)} />}
    </>
  );
}

function BrokenNotice({ lab, holds }: { lab: LabDetail; holds: boolean }) {
  const problems = lab.problems ?? [];
  return (
    <section className="panel panel--error broken-notice" aria-labelledby="broken-title">
      <h2 className="panel__title broken-notice__title" id="broken-title">
        <AlertIcon size={20} />
        This lab is broken and cannot be started
      </h2>
      {holds && problems.length > 0 ? (
        <>
          <p>
            {lab.source === 'file' ? (
              <>
                Fix {problems.length === 1 ? 'this problem' : `these ${problems.length} problems`} in <code>{lab.file}</code>:
              </>
            ) : (
              <>Fix {problems.length === 1 ? 'this problem' : `these ${problems.length} problems`} in the editor:</>
            )}
          </p>
          <ol className="problems__list problems__list--static">
            {problems.map((problem, index) => (
              <li key={index} className="problem">
                <ProblemText problem={problem} />
              </li>
            ))}
          </ol>
        </>
      ) : (
        <p>Its authors need to fix it first.</p>
      )}
    </section>
  );
}

function MachineCard({ machine }: { machine: LabMachineDetail }) {
  const { cpuMillis, memoryBytes, diskBytes } = machine.resources;
  const resources = [formatCpu(cpuMillis), `${formatBytes(memoryBytes)} memory`, ...(diskBytes !== null ? [`${formatBytes(diskBytes)} disk`] : [])].join(' · ');
  const from = machine.image ?? (machine.disk ? (machine.disk.source === 'image' ? `${machine.disk.ref} disk` : machine.disk.ref) : undefined);
  return (
    <article className="machine-card">
      <header className="machine-card__header">
        <h3 className="machine-card__name">{machine.name}</h3>
        <MachineTypeMark type={machine.type} />
      </header>
      <dl className="machine-card__facts">
        {from && (
          <div>
            <dt>{machine.type === 'vm' ? 'Disk' : 'Image'}</dt>
            <dd>
              <code>{from}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Resources</dt>
          <dd>{resources}</dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>
            <AccessList access={machine.access} />
          </dd>
        </div>
        {machine.credentials.length > 0 && (
          <div>
            <dt>{machine.credentials.length === 1 ? 'Login' : 'Logins'}</dt>
            <dd>
              {machine.credentials.map((credential) => (
                <span key={credential.username} className="credential">
                  <code>{credential.username}</code>
                  {credential.password !== undefined && (
                    <>
                      {' / '}
                      <code>{credential.password}</code>
                    </>
                  )}
                </span>
              ))}
            </dd>
          </div>
        )}
      </dl>
    </article>
  );
}

/** The instance a learner already has of a lab that allows one per person, from the server's refusal to start another. */
function theirOnlyInstance(error: unknown): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'LABHUB_LIMIT_REACHED' || error.details?.limit !== 'maxInstancesPerUser' || error.details.max !== 1) return undefined;
  const ids = error.details.instances;
  return Array.isArray(ids) && typeof ids[0] === 'string' ? ids[0] : undefined;
}

function startProblem(error: unknown): string {
  // The lab's own per-person limit is said in this page's words; quotas come with the server's, which name the usage.
  if (error instanceof ApiError && error.code === 'LABHUB_LIMIT_REACHED' && error.details?.limit === 'maxInstancesPerUser') {
    const max = error.details.max;
    if (typeof max === 'number') {
      return `You already have ${max === 1 ? 'an instance' : `${max} instances`} of this lab, the most it allows at a time. Open ${max === 1 ? 'it' : 'one'}, or delete ${max === 1 ? 'it' : 'one'} to start afresh.`;
    }
  }
  return errorMessage(error);
}

/** Start, or go back to the instance the user already has. */
function StartPanel({ lab }: { lab: LabDetail }) {
  const me = useCurrentUser();
  const instances = useInstances();
  const start = useCreateInstance();
  const navigate = useNavigate();
  const mine = (instances.data ?? []).filter((instance) => instance.lab.name === lab.name && instance.owner === me.username && instance.status !== 'deleting');
  const max = lab.limits?.maxInstancesPerUser ?? 1;
  const atLimit = mine.length >= max;
  const [first] = mine;

  // A double click must not start twice: the second click waits for the first start (React
  // re-renders the button as pending only after both clicks may have arrived).
  const starting = useRef(false);
  const onStart = () => {
    if (starting.current) return;
    starting.current = true;
    start.mutate(
      { lab: lab.name },
      {
        onSuccess: (instance) => void navigate(`/instances/${encodeURIComponent(instance.id)}`),
        onError: (error) => {
          // Start is idempotent from here: with the one instance the lab allows already there (another
          // tab, a click that got through), the learner lands in it rather than on an error.
          const existing = theirOnlyInstance(error);
          if (existing) void navigate(`/instances/${encodeURIComponent(existing)}`);
          else if (error instanceof ApiError && error.code === 'LABHUB_LIMIT_REACHED') void instances.refetch();
        },
        onSettled: () => {
          starting.current = false;
        },
      },
    );
  };

  return (
    <section className="side-panel start-panel" aria-labelledby="start-title">
      <h2 className="side-panel__title" id="start-title">
        {first ? (mine.length === 1 ? 'Your instance' : 'Your instances') : 'Your own copy'}
      </h2>
      {first ? (
        <>
          <ul className="start-panel__instances">
            {mine.map((instance) => (
              <li key={instance.id}>
                <InstanceStatusBadge instance={instance} />
                <span className="start-panel__when">started {formatRelative(instance.createdAt)}</span>
              </li>
            ))}
          </ul>
          <Link className="button button--primary button--block" to={mine.length === 1 ? `/instances/${encodeURIComponent(first.id)}` : '/instances'}>
            {mine.length === 1 ? 'Open your instance' : 'Open your instances'}
            <ArrowRightIcon size={18} />
          </Link>
        </>
      ) : (
        <p className="side-panel__note">Start the lab to get its machines, just for you. It takes a few seconds; the first start of a new image takes longer.</p>
      )}
      {!atLimit ? (
        <Button variant={first ? 'secondary' : 'primary'} className="button--block" onClick={onStart} pending={start.isPending} pendingLabel="Starting…">
          <PlayIcon size={16} />
          {first ? 'Start another' : 'Start'}
        </Button>
      ) : (
        <p className="side-panel__note">
          This lab allows {plural(max, 'instance')} per person at a time. Delete yours to start afresh.
        </p>
      )}
      {/* A refusal that names the learner's only instance is not an error to show: the page goes to that instance. */}
      <FormError message={start.error && !theirOnlyInstance(start.error) ? startProblem(start.error) : undefined} />
      <QuotaLine />
    </section>
  );
}

function LabFacts({ lab, canAuthor }: { lab: LabDetail; canAuthor: boolean }) {
  return (
    <section className="side-panel" aria-labelledby="facts-title">
      <h2 className="side-panel__title" id="facts-title">
        About this lab
      </h2>
      <dl className="facts">
        {lab.limits && (
          <>
            <dt>Time limit</dt>
            <dd>{lab.limits.timeLimitSeconds > 0 ? formatDuration(lab.limits.timeLimitSeconds) : 'None'}</dd>
            <dt>Stops when idle for</dt>
            <dd>{lab.limits.idleTimeoutSeconds > 0 ? formatDuration(lab.limits.idleTimeoutSeconds) : 'Never'}</dd>
            <dt>Instances per person</dt>
            <dd>{lab.limits.maxInstancesPerUser}</dd>
          </>
        )}
        {lab.network && (
          <>
            <dt>Internet</dt>
            <dd>
              {lab.network.egress === 'allow' ? 'Reachable' : 'Blocked'}
              <span className="facts__note">The machines reach each other by name.</span>
            </dd>
          </>
        )}
        <dt>Version</dt>
        <dd>{lab.version ?? 'None valid yet'}</dd>
        <dt>Updated</dt>
        <dd>
          <time dateTime={lab.updatedAt} title={formatDateTime(lab.updatedAt)}>
            {formatRelative(lab.updatedAt)}
          </time>
        </dd>
      </dl>
      {canAuthor && lab.source === 'file' && (
        <p className="source-note">
          <FileIcon size={16} />
          <span>
            From file <code>{lab.file}</code>, read-only here.
          </span>
        </p>
      )}
    </section>
  );
}

function DeleteLabDialog({ lab, onClose }: { lab: LabDetail; onClose(): void }) {
  const remove = useDeleteLab(lab.name);
  const navigate = useNavigate();
  const notify = useNotify();
  return (
    <ConfirmDialog
      title={`Delete ${lab.title}?`}
      confirmLabel="Delete lab"
      pendingLabel="Deleting…"
      pending={remove.isPending}
      error={remove.error}
      onClose={onClose}
      onConfirm={(close) =>
        remove.mutate(undefined, {
          onSuccess: () => {
            close();
            notify.success(`Deleted the lab ${lab.title}.`);
            void navigate('/');
          },
        })
      }
    >
      <p>It leaves the catalog and nobody can start it any more. Instances already running keep working with the version they started from.</p>
    </ConfirmDialog>
  );
}

/** What the user has of their quota, so a refusal does not come as a surprise. */
function QuotaLine() {
  const status = useMyQuota();
  if (!status.data) return null;
  const { quota, usage } = status.data;
  return (
    <p className="side-panel__note start-panel__quota">
      You have {usage.instances} of your {plural(quota.instances, 'instance')}; the running ones use {formatCpu(usage.cpu * 1000)} of {formatCpu(quota.cpu * 1000)} and{' '}
      {formatBytes(usage.memoryBytes)} of {formatBytes(quota.memoryBytes)}.
    </p>
  );
}
