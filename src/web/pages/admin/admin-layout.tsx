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
        <NavLink to="/admin/groups" className="subnav__link">
          Groups
        </NavLink>
        <NavLink to="/admin/usage" className="subnav__link">
          Usage
        </NavLink>
        <NavLink to="/admin/audit" className="subnav__link">
          Audit log
        </NavLink>
        <NavLink to="/admin/host" className="subnav__link">
          Host checks
        </NavLink>
      </nav>
      <Outlet />
    </>
  );
}
