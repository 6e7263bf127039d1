import { Link } from 'react-router-dom';
import type { LabSummary } from '../../common/lab/api.js';
import { formatDuration, plural } from '../format.js';
import { AlertIcon, ClockIcon, LockIcon } from './icons.js';
import { AccessList, MachineTypeMark } from './machine-summary.js';

/** One lab in the catalog; the whole card opens the lab's page (its title is the one link). */
export function LabCard({ lab }: { lab: LabSummary }) {
  const broken = lab.status === 'broken';
  const problems = lab.problems?.length ?? 0;
  return (
    <article className={broken ? 'lab-card lab-card--broken' : 'lab-card'}>
      {broken && (
        <p className="lab-card__broken">
          <span className="badge badge--broken">
            <AlertIcon size={14} />
            Broken
          </span>
          <span>{problems > 0 ? `${plural(problems, 'problem')} to fix` : 'Cannot be started'}</span>
        </p>
      )}
      <h2 className="lab-card__title">
        <Link className="lab-card__link" to={`/labs/${encodeURIComponent(lab.name)}`}>
          {lab.title}
        </Link>
      </h2>
      {lab.description && <p className="lab-card__description">{lab.description}</p>}
      {lab.tags.length > 0 && (
        <ul className="tag-list" aria-label="Tags">
          {lab.tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      )}
      {lab.machines.length > 0 && (
        <ul className="lab-card__machines" aria-label="Machines">
          {lab.machines.map((machine) => (
            <li key={machine.name} className="lab-card__machine">
              <MachineTypeMark type={machine.type} />
              <span className="lab-card__machine-name">{machine.name}</span>
              <AccessList access={machine.access} compact />
            </li>
          ))}
        </ul>
      )}
      {lab.groups && (
        <p className="lab-card__groups">
          <LockIcon size={14} />
          <span>
            Only for {lab.groups.length === 1 ? 'the group' : 'the groups'} {lab.groups.join(', ')}
          </span>
        </p>
      )}
      <div className="lab-card__footer">
        {lab.limits && (
          <span className="lab-card__limit">
            <ClockIcon size={15} />
            {lab.limits.timeLimitSeconds > 0 ? `${formatDuration(lab.limits.timeLimitSeconds)} time limit` : 'No time limit'}
          </span>
        )}
        <span className="lab-card__name">{lab.name}</span>
      </div>
    </article>
  );
}
