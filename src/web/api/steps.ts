import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CheckResult, StepList } from '../../common/steps.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const stepsPath = (id: string) => `/api/instances/${encodeURIComponent(id)}/steps`;

/** The guided steps of an instance (from the lab version it was started from) and which have passed. */
export function useSteps(instanceId: string) {
  return useQuery({
    queryKey: queryKeys.instances.steps(instanceId),
    queryFn: async ({ signal }) => (await apiFetch<StepList>(stepsPath(instanceId), { signal })).steps,
  });
}

/** Runs one step's check in its machine; the steps are fetched again afterwards, for their `passedAt`. */
export function useCheckStep(instanceId: string, number: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<CheckResult>(`${stepsPath(instanceId)}/${number}/check`, { method: 'POST' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.instances.steps(instanceId) }),
  });
}
