import type { InstanceAccess } from '../../common/instances.js';
import { LabhubError } from '../errors.js';
import { labRoleOf, type LabAuthorship } from '../labs/ownership.js';
import type { InstanceRow } from '../store/instances.js';
import type { ShareRepository } from '../store/shares.js';
import type { UserRow } from '../store/users.js';

/** What a request does with an instance: watch it (read, screens without input), use it (input, power, checks), or manage it (shares, delete). */
export type InstanceUse = 'watch' | 'use' | 'manage';

const permits: Record<InstanceUse, readonly InstanceAccess[]> = {
  watch: ['owner', 'admin', 'control', 'view'],
  use: ['owner', 'admin', 'control'],
  manage: ['owner', 'admin'],
};

/** Whose a lab is: its owner and authors may watch any learner's instance of it. */
export interface LabOwners {
  /** Of the live lab, else of the deleted lab's last version; undefined for a name never used. */
  authorship(labName: string): Promise<LabAuthorship | undefined>;
}

/**
 * Who may do what with an instance (docs/architecture.md §5): the owner and admins everything, a share's
 * grantee what it grants, the lab's owner and authors (decision 0015) watch. Saving a lab does not
 * make anyone its author: only its owner names them.
 */
export class InstanceAccessPolicy {
  constructor(
    private readonly shares: ShareRepository,
    private readonly labs: LabOwners,
  ) {}

  /** The caller's access to the instance; null when they may not even know it exists. */
  async of(row: InstanceRow, user: UserRow): Promise<InstanceAccess | null> {
    if (row.owner_id === user.id) return 'owner';
    if (user.role === 'admin') return 'admin';
    const share = await this.shares.find(row.id, user.id);
    if (share) return share.access;
    if (user.role === 'author' && (await this.holdsLab(row.lab_name, user))) return 'view';
    return null;
  }

  /** Throws 404 when the caller may not see the instance, 403 when they may see it but not do `use`. */
  async assert(row: InstanceRow | undefined, user: UserRow, use: InstanceUse): Promise<{ row: InstanceRow; access: InstanceAccess }> {
    const access = row && (await this.of(row, user));
    if (!row || !access) throw new LabhubError('LABHUB_NOT_FOUND', 'There is no such instance.');
    if (!permits[use].includes(access)) {
      throw new LabhubError('LABHUB_FORBIDDEN', use === 'manage' ? 'Only the owner of this instance can do this.' : 'You can watch this instance but not use it; ask its owner for control.');
    }
    return { row, access };
  }

  /** The instances shared with a user, and how. */
  sharedWith(user: UserRow): Promise<Map<string, 'view' | 'control'>> {
    return this.shares.ofUser(user.id);
  }

  /** Whether `access` permits `use` (for connections already open when a grant changes). */
  static permits(access: InstanceAccess | null, use: InstanceUse): boolean {
    return access !== null && permits[use].includes(access);
  }

  private async holdsLab(labName: string, user: UserRow): Promise<boolean> {
    const authorship = await this.labs.authorship(labName);
    return authorship !== undefined && labRoleOf(user, authorship) !== null;
  }
}
