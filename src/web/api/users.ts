import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateUserRequest, UpdateUserRequest, User, UserList } from '../../common/api.js';
import { apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

export function useUsers() {
  return useQuery({
    queryKey: queryKeys.users.all,
    queryFn: async ({ signal }) => (await apiFetch<UserList>('/api/admin/users', { signal })).users,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (request: CreateUserRequest) => (await apiFetch<{ user: User }>('/api/admin/users', { method: 'POST', body: request })).user,
    onSuccess: (created) => {
      queryClient.setQueryData<User[]>(queryKeys.users.all, (users) =>
        users ? [...users, created].sort((a, b) => a.username.localeCompare(b.username)) : users,
      );
    },
  });
}

/** Changes one user; the list and, when it is the caller, the logged-in user follow the server's answer. */
export function useUpdateUser(username: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (change: UpdateUserRequest) =>
      (await apiFetch<{ user: User }>(`/api/admin/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: change })).user,
    onSuccess: (updated) => {
      queryClient.setQueryData<User[]>(queryKeys.users.all, (users) => users?.map((user) => (user.username === updated.username ? updated : user)));
      queryClient.setQueryData<User | null>(queryKeys.me, (me) => (me && me.username === updated.username ? updated : me));
    },
  });
}
