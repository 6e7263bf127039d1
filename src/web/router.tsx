import { lazy, Suspense } from 'react';
import { createBrowserRouter, Navigate } from 'react-router-dom';
import { AppShell } from './components/app-shell.js';
import { CrashPage } from './components/crash-page.js';
import { RequireAdmin } from './components/require-admin.js';
import { RequireAuth } from './components/require-auth.js';
import { RequireAuthor } from './components/require-author.js';
import { Loading } from './components/status.js';
import { workspaceLayout } from './layout.js';

// One chunk per page: a learner never downloads the admin pages, and nobody downloads what they do not open.
const LoginPage = lazy(() => import('./pages/login-page.js'));
const CatalogPage = lazy(() => import('./pages/catalog-page.js'));
const LabPage = lazy(() => import('./pages/lab-page.js'));
// The editor brings CodeMirror; only authors who open it download it.
const LabEditorPage = lazy(() => import('./pages/lab-editor-page.js'));
const LabProgressPage = lazy(() => import('./pages/lab-progress-page.js'));
const InstancesPage = lazy(() => import('./pages/instances-page.js'));
// The workspace brings xterm.js, and noVNC for machines with a desktop.
const WorkspacePage = lazy(() => import('./pages/workspace-page.js'));
const AdminLayout = lazy(() => import('./pages/admin/admin-layout.js'));
const UsersPage = lazy(() => import('./pages/admin/users-page.js'));
const GroupsPage = lazy(() => import('./pages/admin/groups-page.js'));
const AuditPage = lazy(() => import('./pages/admin/audit-page.js'));
const UsagePage = lazy(() => import('./pages/admin/usage-page.js'));
const HostPage = lazy(() => import('./pages/admin/host-page.js'));
const NotFoundPage = lazy(() => import('./pages/not-found-page.js'));

export function createRouter() {
  return createBrowserRouter([
    {
      errorElement: <CrashPage />,
      children: [
        {
          path: '/login',
          element: (
            <Suspense fallback={<Loading />}>
              <LoginPage />
            </Suspense>
          ),
        },
        {
          element: (
            <RequireAuth>
              <AppShell />
            </RequireAuth>
          ),
          children: [
            { index: true, element: <CatalogPage /> },
            {
              path: 'labs',
              children: [
                { index: true, element: <Navigate to="/" replace /> },
                {
                  element: <RequireAuthor />,
                  children: [
                    { path: 'new', element: <LabEditorPage /> },
                    { path: ':lab/edit', element: <LabEditorPage /> },
                    { path: ':lab/progress', element: <LabProgressPage /> },
                  ],
                },
                { path: ':lab', element: <LabPage /> },
              ],
            },
            { path: 'instances', element: <InstancesPage /> },
            { path: 'instances/:id', element: <WorkspacePage />, handle: workspaceLayout },
            {
              path: 'admin',
              element: <RequireAdmin />,
              children: [
                {
                  element: <AdminLayout />,
                  children: [
                    { index: true, element: <Navigate to="users" replace /> },
                    { path: 'users', element: <UsersPage /> },
                    { path: 'groups', element: <GroupsPage /> },
                    { path: 'usage', element: <UsagePage /> },
                    { path: 'audit', element: <AuditPage /> },
                    { path: 'host', element: <HostPage /> },
                  ],
                },
              ],
            },
            { path: '*', element: <NotFoundPage /> },
          ],
        },
      ],
    },
  ]);
}
