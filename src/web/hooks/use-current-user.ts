import type { User } from '../../common/api.js';
import { useMe } from '../api/auth.js';

/** The logged-in user, for components inside the authenticated shell (which renders only once it is known). */
export function useCurrentUser(): User {
  const { data } = useMe();
  if (!data) throw new Error('useCurrentUser is only usable inside the authenticated app shell');
  return data;
}
