import { Outlet } from 'react-router-dom';
import { useCanAuthor } from '../hooks/use-can-author.js';
import { NotAllowed } from './not-allowed.js';

/** Pages that write labs, for authors and admins; others are told so instead of seeing a broken page. */
export function RequireAuthor() {
  return useCanAuthor() ? <Outlet /> : <NotAllowed audience="authors" />;
}
