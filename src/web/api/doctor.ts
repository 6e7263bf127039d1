import { useQuery } from '@tanstack/react-query';
import type { DoctorReport } from '../../common/doctor.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

/** The host checks of `labhub doctor`, run by the server when asked (admins). */
export function useHostChecks() {
  return useQuery({
    queryKey: queryKeys.doctor,
    queryFn: ({ signal }) => apiFetch<DoctorReport>('/api/admin/doctor', { signal }),
    refetchInterval: 60_000,
  });
}
