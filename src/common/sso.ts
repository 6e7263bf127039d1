/**
 * Why a single sign-on login was refused. The callback redirects to `/login?sso_error=<reason>`
 * (a code, never free text in a URL) and the login page shows the message.
 */
export const ssoRefusals = {
  email_missing: 'Your sign-in provider did not tell labhub your email address, so you cannot log in with it.',
  email_unverified: 'Your email address is not verified at your sign-in provider. Verify it there, then try again.',
  domain_not_allowed: 'Accounts with this email domain cannot log in to this labhub.',
  account_disabled: 'This account is disabled.',
  login_expired: 'The sign-in took too long or was started in another browser. Try again.',
  provider_error: 'The sign-in provider refused or could not complete the login. Try again.',
  provider_unreachable: 'The sign-in provider cannot be reached right now. Try again later.',
} as const;

export type SsoRefusal = keyof typeof ssoRefusals;

export function isSsoRefusal(value: string): value is SsoRefusal {
  return Object.hasOwn(ssoRefusals, value);
}
