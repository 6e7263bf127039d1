import { hash, verify } from '@node-rs/argon2';

// argon2id (the library's default algorithm) with OWASP's second recommended setting: m=19 MiB, t=2, p=1.
const options = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/**
 * A hash of a random password nobody kept, made with the same settings as real ones: verified
 * against for unknown usernames and accounts without a local password, so every login attempt
 * costs one verification and none answers sooner (account enumeration, issue 15 finding 7).
 */
const dummyHash = '$argon2id$v=19$m=19456,t=2,p=1$WMrXVtKy6eG5T/HQ3aatpA$oGabfH+rzImDRwq3B4aZVaHMy6/mZuPsw3CJVogJQGY';

/** Checks passwords against stored hashes; each check is exactly one argon2 verification, counted. */
export class PasswordChecker {
  constructor(private readonly verifications: { inc(): void } = { inc() {} }) {}

  /** True when `password` matches `passwordHash`; a missing hash costs the same and is false. */
  async matches(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    this.verifications.inc();
    const matched = await verify(passwordHash || dummyHash, password).catch(() => false);
    return matched && Boolean(passwordHash);
  }
}
