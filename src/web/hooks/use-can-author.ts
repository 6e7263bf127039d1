import { useCurrentUser } from './use-current-user.js';

/** Authors and admins write labs: they see New lab, Edit, Delete and why a lab is broken. */
export function useCanAuthor(): boolean {
  const { role } = useCurrentUser();
  return role === 'author' || role === 'admin';
}
