import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AuthConfig, LoginRequest, User } from '../../common/api.js';
import { ApiError, apiFetch } from './client.js';
import { queryKeys } from './query-keys.js';

/** The logged-in user, or null when logged out (the server answers 401). */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: async ({ signal }): Promise<User | null> => {
      try {
        return (await apiFetch<{ user: User }>('/api/me', { signal })).user;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 5 * 60_000,
  });
}

/** How one logs in here (password, single sign-on or both); public, so the login page can ask. */
export function useAuthConfig() {
  return useQuery({
    queryKey: queryKeys.authConfig,
    queryFn: ({ signal }) => apiFetch<AuthConfig>('/api/auth/config', { signal }),
    staleTime: Infinity,
  });
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: LoginRequest) => apiFetch<{ user: User }>('/api/auth/login', { method: 'POST', body: credentials }),
    onSuccess: ({ user }) => {
      // Nothing cached for the previous user may show to this one.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.me[0] });
      queryClient.setQueryData(queryKeys.me, user);
    },
  });
}

/** Ends the session. The caller navigates away first, then calls `forget` so no page of the old user renders logged out. */
export function useLogout() {
  const queryClient = useQueryClient();
  const mutation = useMutation({ mutationFn: () => apiFetch<void>('/api/auth/logout', { method: 'POST' }) });
  const forget = () => {
    queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.me[0] });
    queryClient.setQueryData(queryKeys.me, null);
  };
  return { ...mutation, forget };
}
