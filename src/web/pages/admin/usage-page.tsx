import type { QuotaView } from '../../../common/quotas.js';
import { ApiError } from '../../api/client.js';
import { useUsage } from '../../api/quotas.js';
import { NotAllowed } from '../../components/not-allowed.js';
import { PageHeader } from '../../components/page-header.js';
import { LoadError, Loading } from '../../components/status.js';
import { formatBytes, formatCpu } from '../../format.js';

/** Who uses how much of their quota; those at a limit first. */
export default function UsagePage() {
  const usage = useUsage();
  if (usage.error instanceof ApiError && usage.error.status === 403) return <NotAllowed />;
  return (
    <>
      <PageHeader
        title="Usage"
        description={
          usage.data
            ? `Each user may have ${usage.data.defaults.instances} instances, with ${formatCpu(usage.data.defaults.cpu * 1000)} and ${formatBytes(usage.data.defaults.memoryBytes)} of memory running, unless a group of theirs gives more (PUT /api/admin/groups/:group/quota).`
            : 'Quotas and what each user uses of them.'
        }
      />
      {usage.isPending ? (
        <Loading label="Loading usage…" />
      ) : usage.isError ? (
        <LoadError error={usage.error} onRetry={() => void usage.refetch()} retrying={usage.isFetching} />
      ) : (
        <div className="table-card">
          <table className="table usage-table">
            <caption className="visually-hidden">Usage by user</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Instances</th>
                <th scope="col">CPU running</th>
                <th scope="col">Memory running</th>
              </tr>
            </thead>
            <tbody>
              {[...usage.data.users]
                .sort((a, b) => fullness(b.usage, b.quota) - fullness(a.usage, a.quota) || a.username.localeCompare(b.username))
                .map((row) => (
                  <tr key={row.username}>
                    <th scope="row" data-label="User">
                      <span className="username">{row.username}</span>
                    </th>
                    <Meter label="Instances" used={row.usage.instances} max={row.quota.instances} format={String} />
                    <Meter label="CPU running" used={row.usage.cpu} max={row.quota.cpu} format={(cores) => formatCpu(cores * 1000)} />
                    <Meter label="Memory running" used={row.usage.memoryBytes} max={row.quota.memoryBytes} format={formatBytes} />
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The share of the fullest limit, 0..1. */
function fullness(usage: QuotaView, quota: QuotaView): number {
  return Math.max(usage.instances / quota.instances, usage.cpu / quota.cpu, usage.memoryBytes / quota.memoryBytes);
}

function Meter({ label, used, max, format }: { label: string; used: number; max: number; format: (value: number) => string }) {
  const full = used >= max;
  return (
    <td data-label={label}>
      <span className={full ? 'usage-meter usage-meter--full' : 'usage-meter'}>
        <meter min={0} max={max} value={used} aria-label={`${label}: ${format(used)} of ${format(max)}`} />
        {format(used)} of {format(max)}
      </span>
    </td>
  );
}
