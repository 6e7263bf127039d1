import { Suspense, useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useMatches, useNavigate } from 'react-router-dom';
import { useLogout } from '../api/auth.js';
import { errorMessage } from '../api/client.js';
import { useCanAuthor } from '../hooks/use-can-author.js';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { isWorkspaceLayout } from '../layout.js';
import { Button } from './button.js';
import { LogOutIcon } from './icons.js';
import { Logo } from './logo.js';
import { useNotify } from './notices.js';
import { RoleBadge } from './role-badge.js';
import { Loading } from './status.js';

/** Header, navigation and the main area every logged-in page renders into. */
export function AppShell() {
  const user = useCurrentUser();
  const canAuthor = useCanAuthor();
  const logout = useLogout();
  const navigate = useNavigate();
  const notify = useNotify();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const workspace = useMatches().some((match) => isWorkspaceLayout(match.handle));

  // After a client-side navigation, start reading (and tabbing) at the new page, as a full page load would.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  const onLogout = () =>
    logout.mutate(undefined, {
      onSuccess: () => {
        // Leave the page synchronously before forgetting the user, so the guard does not remember this page as `next`.
        void navigate('/login', { replace: true, flushSync: true });
        logout.forget();
        notify.clear();
      },
      onError: (error) => notify.error(errorMessage(error)),
    });

  return (
    <div className={workspace ? 'shell shell--workspace' : 'shell'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar__inner">
          <Link to="/" className="brand">
            <Logo />
            <span className="brand__name">labhub</span>
          </Link>
          <nav className="nav" aria-label="Main">
            <ul className="nav__list">
              <li>
                <NavLink to="/" end className="nav__link">
                  Catalog
                </NavLink>
              </li>
              <li>
                <NavLink to="/instances" className="nav__link">
                  My instances
                </NavLink>
              </li>
              {canAuthor && (
                <li>
                  <NavLink to="/labs/new" className="nav__link">
                    New lab
                  </NavLink>
                </li>
              )}
              {user.role === 'admin' && (
                <li>
                  <NavLink to="/admin" className="nav__link">
                    Admin
                  </NavLink>
                </li>
              )}
            </ul>
          </nav>
          <div className="account">
            <span className="account__who">
              <span className="account__name">{user.displayName}</span>
              <RoleBadge role={user.role} />
            </span>
            <Button variant="quiet" size="small" onClick={onLogout} pending={logout.isPending} pendingLabel="Logging out…">
              <LogOutIcon size={16} />
              <span className="account__logout-label">Log out</span>
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className={workspace ? 'main main--workspace' : 'main'} tabIndex={-1} ref={main}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
