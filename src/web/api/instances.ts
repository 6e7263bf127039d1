import { useMutation, useQuery, useQueryClient, type Query } from '@tanstack/react-query';
import type { CreateInstanceRequest, Instance, InstanceList, PowerAction } from '../../common/instances.js';
import { ApiError, apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const instancePath = (id: string) => `/api/instances/${encodeURIComponent(id)}`;

/** Checked once a second while something is happening, so progress reads as live. */
const busyInterval = 1000;
/** Otherwise a little more slowly, to notice what the culler or another tab did. */
const idleInterval = 10_000;

/** True while the instance is on its way somewhere: starting, stopping, deleting, or told to pause or resume. */
export function isBusy(instance: Instance): boolean {
  if (instance.status === 'starting' || instance.status === 'stopping' || instance.status === 'deleting') return true;
  if (instance.status === 'failed') return false;
  return instance.desired !== instance.status;
}

function refetchInterval<T>(busy: (data: T) => boolean) {
  return (query: Query<T, Error, T, readonly unknown[]>) => {
    const { data, error } = query.state;
    // A gone instance does not come back; asking again only repeats the 404.
    if (error instanceof ApiError && error.status === 404) return false;
    return data !== undefined && busy(data) ? busyInterval : idleInterval;
  };
}

/** The caller's instances (every instance for admins). */
export function useInstances() {
  return useQuery({
    queryKey: queryKeys.instances.list,
    queryFn: async ({ signal }) => (await apiFetch<InstanceList>('/api/instances', { signal })).instances,
    refetchInterval: refetchInterval<Instance[]>((instances) => instances.some(isBusy)),
  });
}

export function useInstance(id: string) {
  return useQuery({
    queryKey: queryKeys.instances.detail(id),
    queryFn: async ({ signal }) => (await apiFetch<{ instance: Instance }>(instancePath(id), { signal })).instance,
    refetchInterval: refetchInterval<Instance>(isBusy),
  });
}

/** Puts the server's answer about one instance into the cache, and has the list follow. */
function useInstanceChanged() {
  const queryClient = useQueryClient();
  return (instance: Instance) => {
    queryClient.setQueryData(queryKeys.instances.detail(instance.id), instance);
    void queryClient.invalidateQueries({ queryKey: queryKeys.instances.list });
  };
}

export function useCreateInstance() {
  const changed = useInstanceChanged();
  return useMutation({
    mutationFn: async (request: CreateInstanceRequest) => (await apiFetch<{ instance: Instance }>('/api/instances', { method: 'POST', body: request })).instance,
    onSuccess: changed,
  });
}

export function usePowerAction(id: string) {
  const changed = useInstanceChanged();
  return useMutation({
    mutationFn: async (action: PowerAction) => (await apiFetch<{ instance: Instance }>(`${instancePath(id)}/${action}`, { method: 'POST' })).instance,
    onSuccess: changed,
  });
}

/** Pushes the instance's time limit back (`expiresAt` moves later); the server refuses past the lab's maximum. */
export function useExtendInstance(id: string) {
  const changed = useInstanceChanged();
  return useMutation({
    mutationFn: async () => (await apiFetch<{ instance: Instance }>(`${instancePath(id)}/extend`, { method: 'POST' })).instance,
    onSuccess: changed,
  });
}

export function useDeleteInstance(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>(instancePath(id), { method: 'DELETE' }),
    onSuccess: async () => {
      // The page of the instance goes away with it; nothing may ask for it again.
      await queryClient.cancelQueries({ queryKey: queryKeys.instances.detail(id) });
      queryClient.removeQueries({ queryKey: queryKeys.instances.detail(id) });
      queryClient.setQueryData<Instance[]>(queryKeys.instances.list, (instances) =>
        instances?.map((instance) => (instance.id === id ? { ...instance, status: 'deleting', desired: 'deleted', message: 'deleting' } : instance)),
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.instances.list });
    },
  });
}
