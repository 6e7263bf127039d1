/** A small busy indicator; decorative, so whatever shows it must also say what is happening in words. */
export function Spinner({ size = 'small' }: { size?: 'small' | 'large' }) {
  return <span className={`spinner spinner--${size}`} aria-hidden="true" />;
}
