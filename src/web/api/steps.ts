import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CheckResult, LabProgress, StepList } from '../../common/steps.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const stepsPath = (id: string) => `/api/instances/${encodeURIComponent(id)}/steps`;

/** The guided steps of an instance (from the lab version it was started from), which have passed and which are locked. */
export function useSteps(instanceId: string) {
  return useQuery({
    queryKey: queryKeys.instances.steps(instanceId),
    queryFn: ({ signal }) => apiFetch<StepList>(stepsPath(instanceId), { signal }),
  });
}

/** Where each learner of a lab is (for its authors), refreshed while the page is open. */
export function useLabProgress(lab: string) {
  return useQuery({
    queryKey: queryKeys.labs.progress(lab),
    queryFn: ({ signal }) => apiFetch<LabProgress>(`/api/labs/${encodeURIComponent(lab)}/progress`, { signal }),
    refetchInterval: 15_000,
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
