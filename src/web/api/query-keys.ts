/** Every TanStack Query key the UI uses, from one place, so invalidation cannot miss a spelling. */
export const queryKeys = {
  me: ['me'] as const,
  labs: {
    all: ['labs'] as const,
    detail: (name: string) => ['labs', 'detail', name] as const,
    versions: (name: string) => ['labs', 'versions', name] as const,
    version: (name: string, version: number) => ['labs', 'versions', name, version] as const,
    validation: (yaml: string) => ['labs', 'validation', yaml] as const,
    progress: (name: string) => ['labs', 'progress', name] as const,
  },
  instances: {
    all: ['instances'] as const,
    list: ['instances', 'list'] as const,
    detail: (id: string) => ['instances', 'detail', id] as const,
    steps: (id: string) => ['instances', 'steps', id] as const,
    shares: (id: string) => ['instances', 'shares', id] as const,
  },
  users: {
    all: ['admin', 'users'] as const,
  },
  groups: {
    all: ['admin', 'groups'] as const,
    list: ['admin', 'groups', 'list'] as const,
    detail: (name: string) => ['admin', 'groups', 'detail', name] as const,
  },
  audit: {
    list: (filter: Record<string, string>) => ['admin', 'audit', filter] as const,
  },
  doctor: ['admin', 'doctor'] as const,
  authConfig: ['auth-config'] as const,
};
