import { useCallback, useState, type SetStateAction } from 'react';

function read(key: string, fallback: boolean): boolean {
  try {
    const stored = window.localStorage.getItem(key);
    return stored === null ? fallback : stored === 'true';
  } catch {
    return fallback;
  }
}

/** A yes/no preference of this browser (e.g. "instructions shown"), remembered across visits in localStorage. */
export function useStoredFlag(key: string, fallback: boolean): [boolean, (value: SetStateAction<boolean>) => void] {
  const [value, setValue] = useState(() => read(key, fallback));
  const update = useCallback(
    (next: SetStateAction<boolean>) =>
      setValue((previous) => {
        const resolved = typeof next === 'function' ? next(previous) : next;
        try {
          window.localStorage.setItem(key, String(resolved));
        } catch {
          // Storage may be full or disabled; the preference then lasts for this page only.
        }
        return resolved;
      }),
    [key],
  );
  return [value, update];
}
