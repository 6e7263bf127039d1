import { Link, useParams } from 'react-router-dom';
import type { Instance } from '../../common/instances.js';
import type { LabProgress, LearnerProgress } from '../../common/steps.js';
import { ApiError } from '../api/client.js';
import { useLabProgress } from '../api/steps.js';
import { CheckIcon, StackIcon } from '../components/icons.js';
import { statusLabels } from '../components/instance-status.js';
import { NotFound } from '../components/not-found.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState, LoadError, Loading } from '../components/status.js';
import { useDocumentTitle } from '../hooks/use-document-title.js';
import { formatClockTime, formatDateTime } from '../format.js';

/**
 * `/labs/:lab/progress`, for the lab's authors and admins: one row per learner's instance, one
 * column per step, each cell the time its check passed. A plain table: the keyboard and screen
 * readers move through it cell by cell, each learner's name heads its row.
 */
export default function LabProgressPage() {
  const { lab = '' } = useParams();
  const progress = useLabProgress(lab);
  useDocumentTitle(progress.data ? `Progress: ${progress.data.title}` : 'Progress');
  if (progress.error instanceof ApiError && progress.error.status === 404) {
    return (
      <NotFound title="There is no such lab">
        <p>It may have been deleted.</p>
      </NotFound>
    );
  }
  return (
    <>
      <PageHeader
        title={progress.data ? `Progress: ${progress.data.title}` : 'Progress'}
        description="Where each learner is: the steps whose checks passed, and when. It refreshes by itself."
        actions={
          <>
            {progress.data && (
              <a className="button button--secondary" href={`/api/labs/${encodeURIComponent(lab)}/progress.csv`} download>
                Download CSV
              </a>
            )}
            <Link className="button button--secondary" to={`/labs/${encodeURIComponent(lab)}`}>
              Back to the lab
            </Link>
          </>
        }
      />
      {progress.isPending ? (
        <Loading label="Loading the progress…" />
      ) : progress.isError ? (
        <LoadError error={progress.error} onRetry={() => void progress.refetch()} retrying={progress.isFetching} />
      ) : progress.data.learners.length === 0 ? (
        <EmptyState icon={<StackIcon size={32} />} title="Nobody has started this lab yet">
          <p>When learners start it, each of their instances gets a row here.</p>
        </EmptyState>
      ) : (
        <ProgressTable progress={progress.data} />
      )}
    </>
  );
}

function ProgressTable({ progress }: { progress: LabProgress }) {
  const columns = Math.max(progress.steps.length, ...progress.learners.map((learner) => learner.steps));
  const numbers = Array.from({ length: columns }, (_, index) => index + 1);
  const titleOf = (number: number) => progress.steps[number - 1]?.title ?? `Step ${number}`;
  return (
    <div className="table-card">
      {/* Focusable so a keyboard can scroll a table wider than the page. */}
      <div className="progress-table-wrap" tabIndex={0} role="region" aria-label="Progress of the learners">
        <table className="table progress-table">
          <caption className="visually-hidden">Progress of each learner: the time each step&rsquo;s check passed</caption>
          <thead>
            <tr>
              <th scope="col">Learner</th>
              <th scope="col">Instance</th>
              <th scope="col">Current step</th>
              {numbers.map((number) => (
                <th key={number} scope="col" className="progress-table__step" title={titleOf(number)}>
                  <span aria-hidden="true">{number}</span>
                  <span className="visually-hidden">
                    Step {number}: {titleOf(number)}
                  </span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {progress.learners.map((learner) => (
              <LearnerRow key={learner.instanceId} learner={learner} numbers={numbers} />
            ))}
          </tbody>
        </table>
      </div>
      <p className="table-card__note">Steps without a check show “—”: labhub cannot tell whether a learner did them.</p>
    </div>
  );
}

function LearnerRow({ learner, numbers }: { learner: LearnerProgress; numbers: number[] }) {
  const passedAt = new Map(learner.passed.map((pass) => [pass.number, pass.passedAt]));
  const checked = new Set(learner.checked);
  const status = statusLabels[learner.status as Instance['status']] ?? learner.status;
  return (
    <tr>
      <th scope="row">
        <span className="username">{learner.username}</span>
      </th>
      <td>
        <Link to={`/instances/${encodeURIComponent(learner.instanceId)}`} aria-label={`${status}: watch ${learner.username}'s instance`}>
          {status}
        </Link>
      </td>
      <td>
        {learner.current === null ? (
          <span className="progress-table__passed">{learner.checked.length > 0 ? 'All checks passed' : 'No checks'}</span>
        ) : (
          <span className="progress-table__current">Step {learner.current}</span>
        )}
      </td>
      {numbers.map((number) => {
        const at = passedAt.get(number);
        return (
          <td key={number} className="progress-table__cell">
            {number > learner.steps ? (
              <span aria-label="not in this learner's lab version">·</span>
            ) : at ? (
              <span className="progress-table__passed" title={`Passed ${formatDateTime(at)}`}>
                <CheckIcon size={14} /> <time dateTime={at}>{formatClockTime(at)}</time>
              </span>
            ) : checked.has(number) ? (
              <span className="progress-table__open">not yet</span>
            ) : (
              <span className="progress-table__open" aria-label="no check">
                —
              </span>
            )}
          </td>
        );
      })}
    </tr>
  );
}
