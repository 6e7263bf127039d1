import { NavLink, Outlet } from 'react-router-dom';

/** The admin section: its own small navigation above each admin page. */
export default function AdminLayout() {
  return (
    <>
      <nav className="subnav" aria-label="Admin">
        <span className="subnav__section">Admin</span>
        <NavLink to="/admin/users" className="subnav__link">
          Users
        </NavLink>
      </nav>
      <Outlet />
    </>
  );
}
