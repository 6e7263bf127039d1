import type { Role } from '../../common/api.js';

export const roleLabels: Record<Role, string> = { admin: 'Admin', author: 'Author', user: 'User' };

export function RoleBadge({ role }: { role: Role }) {
  return <span className={`badge badge--role-${role}`}>{roleLabels[role]}</span>;
}
