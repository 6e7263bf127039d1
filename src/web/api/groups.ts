import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateGroupRequest, GroupDetail, GroupList } from '../../common/api.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

const groupPath = (name: string) => `/api/admin/groups/${encodeURIComponent(name)}`;

export function useGroups() {
  return useQuery({
    queryKey: queryKeys.groups.list,
    queryFn: async ({ signal }) => (await apiFetch<GroupList>('/api/admin/groups', { signal })).groups,
  });
}

/** One group and its members; disabled while no group is chosen. */
export function useGroup(name: string | undefined) {
  return useQuery({
    queryKey: queryKeys.groups.detail(name ?? ''),
    queryFn: ({ signal }) => apiFetch<GroupDetail>(groupPath(name ?? ''), { signal }),
    enabled: name !== undefined,
  });
}

/** After a change the server answers with the group as it is now: show that, and refresh the counts in the list. */
function useGroupChange<V>(change: (variables: V) => Promise<GroupDetail>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: (detail) => {
      queryClient.setQueryData(queryKeys.groups.detail(detail.group.name), detail);
      void queryClient.invalidateQueries({ queryKey: queryKeys.groups.list });
    },
  });
}

export function useCreateGroup() {
  return useGroupChange((request: CreateGroupRequest) => apiFetch<GroupDetail>('/api/admin/groups', { method: 'POST', body: request }));
}

export function useAddMember(group: string) {
  return useGroupChange((username: string) => apiFetch<GroupDetail>(`${groupPath(group)}/members`, { method: 'POST', body: { username } }));
}

export function useRemoveMember(group: string) {
  return useGroupChange((username: string) => apiFetch<GroupDetail>(`${groupPath(group)}/members/${encodeURIComponent(username)}`, { method: 'DELETE' }));
}

export function useDeleteGroup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => apiFetch<void>(groupPath(name), { method: 'DELETE' }),
    // The group's members stay cached until unused (the page closes them first): removing them
    // while shown would fetch them again, from a group that is gone.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.groups.list }),
  });
}
