/**
 * A caller-supplied place to return to (`next`, `path`), kept only when it is an absolute path on
 * the same site; undefined otherwise. Browsers read `/\host`, `\\host` and paths with tabs or
 * newlines in them (which URL parsing drops) as `//host`, another site, so backslashes, control
 * characters and spaces are refused outright, as are `//`, schemes and anything that is not
 * printable ASCII (percent-encode it). Used by every redirect labhub makes to such a value: the
 * login page, single sign-on's return, an app host's ticket hand-off.
 */
export function sameSitePath(raw: string | null | undefined): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2000) return undefined;
  // Printable ASCII only and no backslash: then a leading `/` not followed by `/` is a path-absolute URL to every URL parser.
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(raw) && !raw.includes('\\') ? raw : undefined;
}
