import { Link } from 'react-router-dom';
import { useInstances } from '../api/instances.js';
import { StackIcon } from '../components/icons.js';
import { InstanceStatusBadge, progressText } from '../components/instance-status.js';
import { MachineTypeMark } from '../components/machine-summary.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState, LoadError, Loading } from '../components/status.js';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { formatDateTime, formatRelative } from '../format.js';

export default function InstancesPage() {
  const me = useCurrentUser();
  const instances = useInstances();
  const others = instances.data?.some((instance) => instance.owner !== me.username) ?? false;
  return (
    <>
      <PageHeader
        title="My instances"
        description={
          me.role === 'admin' && others
            ? 'The labs you and everyone else started; as an admin you see them all.'
            : others
              ? 'The labs you started, and those others shared with you. Open one to work in it, or to watch.'
              : 'The labs you started, with their machines. Open one to work in it.'
        }
      />
      {instances.isPending ? (
        <Loading label="Loading instances…" />
      ) : instances.isError ? (
        <LoadError error={instances.error} onRetry={() => void instances.refetch()} retrying={instances.isFetching} />
      ) : instances.data.length === 0 ? (
        <EmptyState icon={<StackIcon size={32} />} title="No instances">
          <p>Start a lab from the catalog and it shows up here, until you delete it or its time runs out.</p>
          <Link className="button button--secondary" to="/">
            Go to the catalog
          </Link>
        </EmptyState>
      ) : (
        <div className="table-card">
          <table className="table instance-table">
            <caption className="visually-hidden">Instances</caption>
            <thead>
              <tr>
                <th scope="col">Lab</th>
                {others && <th scope="col">Owner</th>}
                <th scope="col">Status</th>
                <th scope="col">Machines</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {instances.data.map((instance) => {
                const progress = progressText(instance);
                return (
                  <tr key={instance.id}>
                    <th scope="row" data-label="Lab">
                      {instance.status === 'deleting' ? (
                        <span className="instance-table__title">{instance.lab.title}</span>
                      ) : (
                        <Link className="instance-table__title" to={`/instances/${encodeURIComponent(instance.id)}`}>
                          {instance.lab.title}
                        </Link>
                      )}
                    </th>
                    {others && (
                      <td data-label="Owner">
                        <span className="username">{instance.owner}</span>
                        {(instance.access === 'view' || instance.access === 'control') && <span className="instance-table__shared"> · shared with you to {instance.access === 'view' ? 'watch' : 'use'}</span>}
                      </td>
                    )}
                    <td data-label="Status">
                      <span className="instance-table__status">
                        <InstanceStatusBadge instance={instance} />
                        {progress && <span className={instance.status === 'failed' ? 'instance-table__message instance-table__message--failed' : 'instance-table__message'}>{progress}</span>}
                      </span>
                    </td>
                    <td data-label="Machines">
                      <ul className="instance-table__machines">
                        {instance.machines.map((machine) => (
                          <li key={machine.name}>
                            <MachineTypeMark type={machine.type} /> <span className="instance-table__machine">{machine.name}</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td data-label="Started">
                      <time dateTime={instance.createdAt} title={formatDateTime(instance.createdAt)}>
                        {formatRelative(instance.createdAt)}
                      </time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
