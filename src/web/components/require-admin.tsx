import { Outlet } from 'react-router-dom';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { NotAllowed } from './not-allowed.js';

/** The admin pages, for admins only; others are told so instead of seeing a broken page. */
export function RequireAdmin() {
  const user = useCurrentUser();
  return user.role === 'admin' ? <Outlet /> : <NotAllowed />;
}
