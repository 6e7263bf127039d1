import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LabDetail, LabList, LabResponse, LabValidation, LabVersionList, LabVersionResponse, SetLabAuthorsRequest, UpdateLabRequest } from '../../common/lab/api.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const labPath = (name: string) => `/api/labs/${encodeURIComponent(name)}`;

/** The catalog: every lab, with broken ones (their problems only for authors and admins). */
export function useLabs() {
  return useQuery({
    queryKey: queryKeys.labs.all,
    queryFn: async ({ signal }) => (await apiFetch<LabList>('/api/labs', { signal })).labs,
  });
}

/** One lab with machines and instructions; its owner, its authors and admins also get its YAML and who its authors are. */
export function useLab(name: string) {
  return useQuery({
    queryKey: queryKeys.labs.detail(name),
    queryFn: async ({ signal }) => (await apiFetch<LabResponse>(labPath(name), { signal })).lab,
  });
}

/** The saved versions of a store lab, newest first (its owner, its authors and admins). */
export function useLabVersions(name: string, enabled = true) {
  return useQuery({
    queryKey: queryKeys.labs.versions(name),
    queryFn: async ({ signal }) => (await apiFetch<LabVersionList>(`${labPath(name)}/versions`, { signal })).versions,
    enabled,
  });
}

/** Reads one saved version with its YAML, from the cache when it was read before (versions never change). */
export function useFetchLabVersion() {
  const queryClient = useQueryClient();
  return (name: string, version: number) =>
    queryClient.fetchQuery({
      queryKey: queryKeys.labs.version(name, version),
      queryFn: async ({ signal }) => (await apiFetch<LabVersionResponse>(`${labPath(name)}/versions/${version}`, { signal })).version,
      staleTime: Infinity,
    });
}

/**
 * What the server thinks of `yaml` as a lab. Each text is asked about once; while a newer text
 * is being checked the previous answer stays, so problems do not blink away as the author types.
 */
export function useLabValidation(yaml: string) {
  return useQuery({
    queryKey: queryKeys.labs.validation(yaml),
    queryFn: async ({ signal }): Promise<LabValidation & { yaml: string }> => ({
      ...(await apiFetch<LabValidation>('/api/labs/validate', { method: 'POST', body: { yaml }, signal })),
      yaml,
    }),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
  });
}

/** After a save the catalog, the lab and its versions follow the server's answer. */
function useLabSaved() {
  const queryClient = useQueryClient();
  return (lab: LabDetail) => {
    queryClient.setQueryData(queryKeys.labs.detail(lab.name), lab);
    void queryClient.invalidateQueries({ queryKey: queryKeys.labs.all, exact: true });
    void queryClient.invalidateQueries({ queryKey: queryKeys.labs.versions(lab.name), exact: true });
  };
}

export function useCreateLab() {
  const saved = useLabSaved();
  return useMutation({
    mutationFn: async (yaml: string) => (await apiFetch<LabResponse>('/api/labs', { method: 'POST', body: { yaml } })).lab,
    onSuccess: saved,
  });
}

export function useUpdateLab(name: string) {
  const saved = useLabSaved();
  return useMutation({
    mutationFn: async (request: UpdateLabRequest) => (await apiFetch<LabResponse>(labPath(name), { method: 'PUT', body: request })).lab,
    onSuccess: saved,
  });
}

/** Names a lab's co-authors (its owner or an admin); the answer is the lab at its new version. */
export function useSetLabAuthors(name: string) {
  const saved = useLabSaved();
  return useMutation({
    mutationFn: async (request: SetLabAuthorsRequest) => (await apiFetch<LabResponse>(`${labPath(name)}/authors`, { method: 'PUT', body: request })).lab,
    onSuccess: saved,
  });
}

export function useDeleteLab(name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>(labPath(name), { method: 'DELETE' }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: queryKeys.labs.detail(name) });
      queryClient.removeQueries({ queryKey: queryKeys.labs.versions(name) });
      queryClient.setQueryData<LabList['labs']>(queryKeys.labs.all, (labs) => labs?.filter((lab) => lab.name !== name));
      void queryClient.invalidateQueries({ queryKey: queryKeys.labs.all, exact: true });
    },
  });
}
