import { randomBytes } from 'node:crypto';
import type { UserRepository } from '../store/users.js';
import { hashPassword } from './passwords.js';

/**
 * Creates the first admin, `admin`, when no user of that name exists. Returns the password when
 * it was generated (so main.ts can print it once), undefined otherwise.
 */
export async function ensureFirstAdmin(users: UserRepository, configuredPassword: string | undefined): Promise<string | undefined> {
  if (await users.findByUsername('admin')) return undefined;
  const password = configuredPassword ?? randomBytes(12).toString('base64url');
  const created = await users.create({ username: 'admin', displayName: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) });
  // Another replica may have created it at the same moment; then its password stands.
  if (!created) return undefined;
  return configuredPassword ? undefined : password;
}
