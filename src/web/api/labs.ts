import { useQuery } from '@tanstack/react-query';
import { ApiError, apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

/** What a catalog card needs of a lab. */
export interface LabSummary {
  name: string;
  title: string;
  description?: string | undefined;
}

export function useLabs() {
  return useQuery({
    queryKey: queryKeys.labs.all,
    queryFn: async ({ signal }): Promise<LabSummary[]> => {
      try {
        return (await apiFetch<{ labs: LabSummary[] }>('/api/labs', { signal })).labs;
      } catch (error) {
        // A server without the catalog route has no labs to offer: an empty catalog, not a failure.
        if (error instanceof ApiError && error.code === 'LABHUB_ROUTE_NOT_FOUND') return [];
        throw error;
      }
    },
  });
}
