import { ApiError } from '../../api/client.js';
import { useHostChecks } from '../../api/doctor.js';
import { Button } from '../../components/button.js';
import { NotAllowed } from '../../components/not-allowed.js';
import { PageHeader } from '../../components/page-header.js';
import { LoadError, Loading } from '../../components/status.js';

/** The host checks of `labhub doctor`: what this server needs to run labs, and the command that fixes what is missing. */
export default function HostPage() {
  const report = useHostChecks();
  if (report.error instanceof ApiError && report.error.status === 403) return <NotAllowed />;
  return (
    <>
      <PageHeader
        title="Host checks"
        description={
          report.data
            ? report.data.ok
              ? `Everything labs need is in place (checked ${new Date(report.data.checkedAt).toLocaleTimeString()}).`
              : 'Labs that need what a failed check names are refused until it is fixed. The same checks run at start and with `labhub doctor`.'
            : 'What this server needs to run labs.'
        }
        actions={
          <Button onClick={() => void report.refetch()} pending={report.isFetching} pendingLabel="Checking…">
            Check again
          </Button>
        }
      />
      {report.isPending ? (
        <Loading label="Checking the host…" />
      ) : report.isError ? (
        <LoadError error={report.error} onRetry={() => void report.refetch()} retrying={report.isFetching} />
      ) : (
        <ul className="host-checks" aria-label="Host checks">
          {report.data.checks.map((check) => (
            <li key={check.id} className={check.ok ? 'host-check' : 'host-check host-check--failed'} data-check={check.id}>
              <span className="host-check__verdict">{check.ok ? 'OK' : 'Failed'}</span>
              <span>
                <strong>{check.title}:</strong> {check.message}
              </span>
              {!check.ok && check.fix && (
                <span className="host-check__fix">
                  Fix: <code>{check.fix}</code>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
