/**
 * Route handles that change the app shell's layout. The workspace uses the whole window (no
 * content width, no page padding) so terminals and desktops get every pixel.
 */
export interface LayoutHandle {
  layout: 'workspace';
}

export const workspaceLayout: LayoutHandle = { layout: 'workspace' };

export function isWorkspaceLayout(handle: unknown): boolean {
  return typeof handle === 'object' && handle !== null && (handle as Partial<LayoutHandle>).layout === 'workspace';
}
