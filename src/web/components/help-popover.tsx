import { useId, type ReactNode } from 'react';
import { HelpIcon } from './icons.js';

/**
 * A small "?" button that shows help beside it: the browser's popover, so Escape and a click
 * elsewhere close it, and it sits above everything (a terminal, a desktop) without clipping.
 */
export function HelpPopover({ label, children }: { label: string; children: ReactNode }) {
  const id = useId();
  return (
    <>
      <button type="button" className="icon-button" popoverTarget={id} aria-label={label} title={label}>
        <HelpIcon size={18} />
      </button>
      <div id={id} popover="auto" className="popover" role="dialog" aria-label={label}>
        {children}
      </div>
    </>
  );
}

/** One shortcut in a help list: the keys, then what they do. */
export function KeyHelp({ keys, children }: { keys: string[]; children: ReactNode }) {
  return (
    <div className="key-help">
      <dt>
        {keys.map((combo, index) => (
          <span key={combo}>
            {index > 0 && <span className="key-help__or"> or </span>}
            <kbd>{combo}</kbd>
          </span>
        ))}
      </dt>
      <dd>{children}</dd>
    </div>
  );
}
