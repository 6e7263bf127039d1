import { MutationCache, QueryCache, QueryClient, type QueryKey } from '@tanstack/react-query';
import { ApiError } from './client.js';
import { queryKeys } from './query-keys.js';

/**
 * The app's QueryClient. A 401 from any call means the session ended (expired, revoked, password
 * changed): the cached user becomes null and the route guard sends the browser to the login page.
 */
export function createQueryClient(): QueryClient {
  const sessionEnded = (error: unknown, key?: QueryKey) => {
    if (error instanceof ApiError && error.code === 'LABHUB_UNAUTHENTICATED' && key?.[0] !== queryKeys.me[0]) {
      client.setQueryData(queryKeys.me, null);
    }
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => sessionEnded(error, query.queryKey) }),
    mutationCache: new MutationCache({ onError: (error) => sessionEnded(error) }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx will not change by asking again; network trouble and 5xx might.
        retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
  return client;
}
