/**
 * Cookies between an app and the browser, read the way browsers read them (RFC 6265bis §5.6):
 * the name is what comes before the first `=`, with spaces and tabs around it removed; a pair
 * without `=` is a nameless cookie, which the browser sends back as its bare value (so
 * `=labhub_app=x` comes back as `labhub_app=x`). Names are compared without case and without the
 * `__Host-` / `__Secure-` prefixes, which browsers also match without case: an app may set no
 * cookie that labhub, or a browser, could take for one of labhub's own.
 */

/** The name a browser gives the cookie of one `Set-Cookie` value (`''` for a nameless one). */
export function setCookieName(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0] ?? '';
  const equals = pair.indexOf('=');
  return equals === -1 ? '' : pair.slice(0, equals).replace(/^[ \t]+|[ \t]+$/g, '');
}

/** A cookie name as labhub compares it: lower case, without a `__Host-` or `__Secure-` prefix. */
function comparable(name: string): string {
  return name.toLowerCase().replace(/^__(host|secure)-/, '');
}

/** Whether a cookie called `name` could stand for one of `labhubNames` (the session, an app session, a login's state). */
export function isLabhubCookie(name: string, labhubNames: readonly string[]): boolean {
  const candidate = comparable(name);
  return labhubNames.some((own) => comparable(own) === candidate);
}

/**
 * The `Set-Cookie` values of an app's response that may reach the browser on the app's own host:
 * none named like labhub's, none nameless, and none reaching beyond the host (a `Domain`
 * attribute is removed, so one app's cookies never reach another app's host).
 */
export function appHostSetCookies(values: readonly string[], labhubNames: readonly string[]): string[] {
  const kept: string[] = [];
  for (const value of values) {
    const name = setCookieName(value);
    if (name === '' || isLabhubCookie(name, labhubNames)) continue;
    const parts = value.split(';');
    const hostOnly = parts.filter((part, index) => index === 0 || part.split('=', 1)[0]?.trim().toLowerCase() !== 'domain');
    kept.push(hostOnly.length === parts.length ? value : hostOnly.map((part) => part.trim()).join('; '));
  }
  return kept;
}

/** The Cookie header without labhub's cookies (however spelled), as an app may see it; `''` when nothing is left. */
export function withoutLabhubCookies(header: string | undefined, labhubNames: readonly string[]): string {
  if (!header) return '';
  // A part without `=` is a nameless cookie's bare value: nothing to tell it from labhub's, so it goes too.
  const isAppCookie = (part: string) => part.includes('=') && !isLabhubCookie(part.slice(0, part.indexOf('=')).trim(), labhubNames);
  return header
    .split(';')
    .map((part) => part.trim())
    .filter(isAppCookie)
    .join('; ');
}
