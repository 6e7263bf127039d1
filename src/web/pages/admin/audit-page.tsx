import { useId, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { AuditEvent } from '../../../common/api.js';
import { useAuditEvents, type AuditFilter } from '../../api/audit.js';
import { ApiError } from '../../api/client.js';
import { Button } from '../../components/button.js';
import { TextField } from '../../components/field.js';
import { NotAllowed } from '../../components/not-allowed.js';
import { PageHeader } from '../../components/page-header.js';
import { LoadError, Loading } from '../../components/status.js';
import { formatDateTime } from '../../format.js';

/** Actions labhub records, offered as suggestions in the action filter (any text is accepted). */
const knownActions = [
  'login',
  'login.failed',
  'logout',
  'user.create',
  'user.update',
  'group.create',
  'group.delete',
  'group.member.add',
  'group.member.remove',
  'lab.create',
  'lab.update',
  'lab.delete',
  'instance.create',
  'instance.start',
  'instance.stop',
  'instance.pause',
  'instance.resume',
  'instance.reset',
  'instance.extend',
  'instance.delete',
  'share.grant',
  'share.revoke',
  'terminal.open',
  'desktop.open',
  'app.open',
  'app.websocket',
  'group.quota',
  'step.check',
];

const filterKeys = ['actor', 'action', 'since', 'until'] as const;
type FilterKey = (typeof filterKeys)[number];

/** `datetime-local` values (local time, no zone) to the ISO times the API takes, and back. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
function toLocal(iso: string | null): string {
  if (!iso) return '';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return '';
  return new Date(time.getTime() - time.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** The audit log: who did what, when and from where, newest first; filters live in the URL. */
export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const applied: AuditFilter = Object.fromEntries(filterKeys.flatMap((key) => (params.get(key) ? [[key, params.get(key) ?? '']] : [])));
  const events = useAuditEvents(applied);
  const [draft, setDraft] = useState<Record<FilterKey, string>>({
    actor: params.get('actor') ?? '',
    action: params.get('action') ?? '',
    since: toLocal(params.get('since')),
    until: toLocal(params.get('until')),
  });
  const actionsId = useId();

  if (events.error instanceof ApiError && events.error.status === 403) return <NotAllowed />;

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next: Record<string, string> = {};
    if (draft.actor.trim()) next.actor = draft.actor.trim();
    if (draft.action.trim()) next.action = draft.action.trim();
    const since = toIso(draft.since);
    const until = toIso(draft.until);
    if (since) next.since = since;
    if (until) next.until = until;
    setParams(next, { replace: true });
  };
  const clear = () => {
    setDraft({ actor: '', action: '', since: '', until: '' });
    setParams({}, { replace: true });
  };
  const set = (key: FilterKey) => (event: { target: { value: string } }) => setDraft((current) => ({ ...current, [key]: event.target.value }));
  const rows = events.data?.pages.flat() ?? [];
  const filtered = Object.keys(applied).length > 0;

  return (
    <>
      <PageHeader title="Audit log" description="Logins, admin actions, lab changes and instance lifecycle: who, what, when and from where. Newest first." />
      <form className="form inline-form audit-filters" onSubmit={apply} noValidate aria-label="Filter the audit log">
        <TextField label="User" name="actor" autoComplete="off" autoCapitalize="none" spellCheck={false} value={draft.actor} onChange={set('actor')} />
        <TextField label="Action" name="action" autoComplete="off" spellCheck={false} list={actionsId} value={draft.action} onChange={set('action')} />
        <datalist id={actionsId}>
          {knownActions.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <TextField label="From" name="since" type="datetime-local" value={draft.since} onChange={set('since')} />
        <TextField label="Until" name="until" type="datetime-local" value={draft.until} onChange={set('until')} />
        <span className="inline-form__actions">
          <Button type="submit" variant="primary">
            Filter
          </Button>
          {filtered && <Button onClick={clear}>Clear filters</Button>}
        </span>
      </form>
      {events.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : events.isError ? (
        <LoadError error={events.error} onRetry={() => void events.refetch()} retrying={events.isFetching} />
      ) : rows.length === 0 ? (
        <p className="muted" role="status">
          {filtered ? 'No events match these filters.' : 'Nothing has been recorded yet.'}
        </p>
      ) : (
        <div className="table-card">
          <table className="table audit-table">
            <caption className="visually-hidden">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <AuditRow key={row.id} event={row} />
              ))}
            </tbody>
          </table>
          {events.hasNextPage && (
            <p className="table-card__note">
              <Button size="small" onClick={() => void events.fetchNextPage()} pending={events.isFetchingNextPage} pendingLabel="Loading…">
                Show older events
              </Button>
            </p>
          )}
        </div>
      )}
    </>
  );
}

function AuditRow({ event }: { event: AuditEvent }) {
  return (
    <tr>
      <td data-label="Time">
        <time dateTime={event.at}>{formatDateTime(event.at)}</time>
      </td>
      <td data-label="User">{event.actor ? <span className="username">{event.actor}</span> : <span className="muted">—</span>}</td>
      <td data-label="Action">
        <code>{event.action}</code>
      </td>
      <td data-label="Target">{event.target ?? <span className="muted">—</span>}</td>
      <td data-label="From">{event.ip ?? <span className="muted">—</span>}</td>
      <td data-label="Details" className="audit-table__detail">
        {event.detail ? <code>{JSON.stringify(event.detail)}</code> : <span className="muted">—</span>}
      </td>
    </tr>
  );
}
