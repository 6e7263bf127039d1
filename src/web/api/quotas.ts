import { useQuery } from '@tanstack/react-query';
import type { QuotaStatus, UsageList } from '../../common/quotas.js';
import { apiFetch } from './client.js';

/** Every user's quota and what they use of it (admins). */
export function useUsage() {
  return useQuery({
    queryKey: ['admin', 'usage'] as const,
    queryFn: ({ signal }) => apiFetch<UsageList>('/api/admin/usage', { signal }),
    refetchInterval: 15_000,
  });
}

/** The caller's quota and what they use of it. */
export function useMyQuota() {
  return useQuery({
    queryKey: ['me', 'quota'] as const,
    queryFn: ({ signal }) => apiFetch<QuotaStatus>('/api/me/quota', { signal }),
  });
}
