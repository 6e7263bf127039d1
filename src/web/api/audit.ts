import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditList } from '../../common/api.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

/** What the audit page filters by, as GET /api/admin/audit takes it (`since` and `until` are ISO times). */
export interface AuditFilter {
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
}

export const auditPageSize = 100;

/** The audit log, newest first, a page at a time (`before` the oldest event shown). */
export function useAuditEvents(filter: AuditFilter) {
  const query = Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as Record<string, string>;
  return useInfiniteQuery({
    queryKey: queryKeys.audit.list(query),
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam, signal }) => {
      const params = new URLSearchParams({ ...query, limit: String(auditPageSize), ...(pageParam !== undefined && { before: String(pageParam) }) });
      return (await apiFetch<AuditList>(`/api/admin/audit?${params.toString()}`, { signal })).events;
    },
    getNextPageParam: (page) => (page.length === auditPageSize ? page[page.length - 1]?.id : undefined),
  });
}
