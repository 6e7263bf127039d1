import { createContext, useContext } from 'react';
import type { InstanceAccess } from '../../common/instances.js';

/** The viewer's access to the instance the workspace shows; views of its machines read it. */
export const WorkspaceAccessContext = createContext<InstanceAccess>('owner');

/** Whether this workspace only watches: screens without input (the gateway drops it too). */
export function useWatchOnly(): boolean {
  return useContext(WorkspaceAccessContext) === 'view';
}
