/** labhub's mark: a terminal prompt on a tile. Decorative; the product name is always written beside it. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" className="logo__tile" />
      <path d="M9.5 11l5 5-5 5" className="logo__glyph" />
      <path d="M17 21.5h6" className="logo__glyph" />
    </svg>
  );
}
