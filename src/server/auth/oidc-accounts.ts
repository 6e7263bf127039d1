import type { GroupRepository } from '../store/groups.js';
import type { OidcRepository } from '../store/oidc.js';
import type { UserRepository, UserRow } from '../store/users.js';
import type { SsoIdentity } from './oidc-claims.js';
import { SsoRefused } from './oidc.js';

/** Tries before giving up on a free username (`name`, `name-2`, … `name-20`). */
const usernameAttempts = 20;

export interface SsoAccount {
  user: UserRow;
  created: boolean;
  groups: { added: string[]; removed: string[] } | undefined;
}

/**
 * The labhub user of a provider account: found by the provider's `sub` (never by name or
 * email, so a provider account can never take over an existing local account such as `admin`),
 * or created with the role `user`. Display name and email follow the provider at each login;
 * the username is chosen once. With a groups claim configured, memberships follow it too.
 */
export async function accountFor(
  identity: SsoIdentity,
  issuer: string,
  stores: { users: UserRepository; identities: OidcRepository; groups: GroupRepository },
  syncGroups: boolean,
): Promise<SsoAccount> {
  const { users, identities, groups } = stores;
  let created = false;
  let user = await findLinked(identity, issuer, stores);
  if (!user) {
    user = await createUser(identity, users);
    created = true;
    if (!(await identities.link(issuer, identity.subject, user.id))) {
      // Another replica linked this account at the same moment: use theirs (ours stays unused and disabled).
      await users.update(user.id, { disabled: true });
      user = await findLinked(identity, issuer, stores);
      created = false;
      if (!user) throw new SsoRefused('provider_error', 'account link raced and vanished');
    }
  } else if (user.email !== identity.email || (identity.displayName !== undefined && user.display_name !== identity.displayName)) {
    user = (await users.update(user.id, { email: identity.email, ...(identity.displayName !== undefined && { displayName: identity.displayName }) })) ?? user;
  }
  if (user.disabled === 1) throw new SsoRefused('account_disabled', `user ${user.username} is disabled`);
  const synced = syncGroups ? await groups.syncSsoMemberships(user.id, identity.groups) : undefined;
  return { user, created, groups: synced };
}

async function findLinked(identity: SsoIdentity, issuer: string, stores: { users: UserRepository; identities: OidcRepository }): Promise<UserRow | undefined> {
  const userId = await stores.identities.userIdOf(issuer, identity.subject);
  return userId === undefined ? undefined : stores.users.findById(userId);
}

async function createUser(identity: SsoIdentity, users: UserRepository): Promise<UserRow> {
  for (let attempt = 1; attempt <= usernameAttempts; attempt++) {
    const username = attempt === 1 ? identity.preferredUsername : `${identity.preferredUsername}-${attempt}`;
    const created = await users.create({ username, displayName: identity.displayName, email: identity.email, role: 'user', passwordHash: null });
    if (created) return created;
  }
  throw new SsoRefused('provider_error', `no free username near ${identity.preferredUsername}`);
}
