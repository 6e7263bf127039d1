/** Every TanStack Query key the UI uses, from one place, so invalidation cannot miss a spelling. */
export const queryKeys = {
  me: ['me'] as const,
  labs: {
    all: ['labs'] as const,
  },
  users: {
    all: ['admin', 'users'] as const,
  },
};
