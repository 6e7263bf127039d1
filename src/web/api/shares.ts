import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateShareRequest, Share } from '../../common/instances.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const sharesPath = (id: string) => `/api/instances/${encodeURIComponent(id)}/shares`;

/** Who else may watch or use an instance (for its owner and admins). */
export function useShares(instanceId: string) {
  return useQuery({
    queryKey: queryKeys.instances.shares(instanceId),
    queryFn: async ({ signal }) => (await apiFetch<{ shares: Share[] }>(sharesPath(instanceId), { signal })).shares,
  });
}

/** Grants a share, or changes the access of an existing one. */
export function useGrantShare(instanceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: CreateShareRequest) => (await apiFetch<{ share: Share }>(sharesPath(instanceId), { method: 'POST', body: request })).share,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.instances.shares(instanceId) }),
  });
}

/** Withdraws a share; the user's open terminals and desktops of the instance close. */
export function useRevokeShare(instanceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (username: string) => apiFetch<void>(`${sharesPath(instanceId)}/${encodeURIComponent(username)}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.instances.shares(instanceId) }),
  });
}
