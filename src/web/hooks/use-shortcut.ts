import { useEffect, useRef } from 'react';

export interface Shortcut {
  /** As people read it and as `aria-keyshortcuts` wants it: "Alt+Shift+I". */
  keys: string;
  matches(event: KeyboardEvent): boolean;
}

/**
 * Runs `action` when `shortcut` is pressed anywhere in the page. It listens in the capture phase,
 * so it wins over the terminal and the remote desktop, which otherwise take every key.
 */
export function useShortcut(shortcut: Shortcut, action: () => void): void {
  const latest = useRef(action);
  useEffect(() => {
    latest.current = action;
  });
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!shortcut.matches(event)) return;
      event.preventDefault();
      event.stopPropagation();
      if (!event.repeat) latest.current();
    };
    window.addEventListener('keydown', onKeyDown, { capture: true });
    return () => window.removeEventListener('keydown', onKeyDown, { capture: true });
  }, [shortcut]);
}

/** Alt+Shift and a letter: free in browsers, shells and desktops alike. Matched by key position, so layouts and macOS's Option characters do not matter. */
export function altShift(letter: string): Shortcut {
  const code = `Key${letter.toUpperCase()}`;
  return {
    keys: `Alt+Shift+${letter.toUpperCase()}`,
    matches: (event) => event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && event.code === code,
  };
}
