import type { SsoRefusal } from '../../common/sso.js';

/** What labhub takes from a provider's claims once they are admitted. */
export interface SsoIdentity {
  /** The provider's `sub`: stable for the account, never reassigned. The account is linked by it. */
  subject: string;
  email: string;
  displayName: string | undefined;
  /** The username asked for at the first login: `preferred_username`, else the email's local part. */
  preferredUsername: string;
  /** Values of the groups claim, lower-cased; empty when there is none. */
  groups: string[];
}

export interface ClaimPolicy {
  /** Lower-case domains; undefined admits any. */
  allowedDomains: string[] | undefined;
  groupsClaim: string | undefined;
}

export type ClaimVerdict = { ok: true; identity: SsoIdentity } | { ok: false; reason: SsoRefusal };

/**
 * Admits or refuses a provider's claims. `email_verified` must be the boolean true (a missing
 * claim or the string "true" is a refusal: an unverified address could be anyone's), and with
 * allowed domains the email's domain (after the last `@`) must be one of them exactly, so
 * `corp.com` admits neither `exploitcorp.com` nor `corp.com.evil.io`.
 */
export function admitClaims(claims: Record<string, unknown>, policy: ClaimPolicy): ClaimVerdict {
  const { sub, email } = claims;
  // OpenID Connect caps `sub` at 255 ASCII characters and addresses are at most 320: longer is not a real account.
  if (typeof sub !== 'string' || sub === '' || sub.length > 255) return { ok: false, reason: 'provider_error' };
  if (typeof email !== 'string' || !email.includes('@') || email.length > 320) return { ok: false, reason: 'email_missing' };
  if (claims.email_verified !== true) return { ok: false, reason: 'email_unverified' };
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (local === '' || domain === '') return { ok: false, reason: 'email_missing' };
  if (policy.allowedDomains && !policy.allowedDomains.includes(domain)) return { ok: false, reason: 'domain_not_allowed' };
  const name = typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, 200) : undefined;
  const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username : local;
  return {
    ok: true,
    identity: { subject: sub, email, displayName: name, preferredUsername: usernameFrom(preferred) ?? usernameFrom(local) ?? 'user', groups: groupsOf(claims, policy.groupsClaim) },
  };
}

/** A valid labhub username (lower-case letters, digits, `.`, `_`, `-`; 63 at most) made from `raw`, or undefined when nothing is left. */
export function usernameFrom(raw: string): string | undefined {
  const cleaned = raw
    .toLowerCase()
    .replace(/@.*$/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, 56)
    .replace(/[._-]+$/, '');
  return cleaned === '' ? undefined : cleaned;
}

/** The groups claim as lower-case names: a string or a list of strings; anything else counts as no groups. */
function groupsOf(claims: Record<string, unknown>, claim: string | undefined): string[] {
  if (claim === undefined) return [];
  const value = claims[claim];
  const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  return [...new Set(values.map((item) => item.trim().toLowerCase()).filter((item) => item !== ''))].slice(0, 500);
}
