import { AlertIcon, CheckIcon, CloseIcon } from './icons.js';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

type Tone = 'success' | 'error';
interface Notice {
  id: number;
  tone: Tone;
  message: string;
}

interface Notify {
  success(message: string): void;
  error(message: string): void;
  /** Removes every notice, e.g. at logout, so none is shown to the next user of the browser. */
  clear(): void;
}

const NoticeContext = createContext<Notify | null>(null);

/** Shows short messages about things that happened ("Created user ada.") in the corner, and reads them out. */
export function useNotify(): Notify {
  const notify = useContext(NoticeContext);
  if (!notify) throw new Error('useNotify is only usable inside NoticeProvider');
  return notify;
}

const successLifetime = 6000;

/**
 * Owns two live regions that are always in the page (a region must exist before its content
 * changes to be announced): polite for confirmations, assertive for errors. Confirmations fade
 * by themselves; errors stay until dismissed.
 */
export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((notice) => notice.id !== id)), []);
  const add = useCallback(
    (tone: Tone, message: string) => {
      const id = nextId.current++;
      setNotices((list) => [...list.slice(-3), { id, tone, message }]);
      if (tone === 'success') {
        const timer = setTimeout(() => {
          timers.current.delete(timer);
          dismiss(id);
        }, successLifetime);
        timers.current.add(timer);
      }
    },
    [dismiss],
  );
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);

  const notify = useMemo<Notify>(
    () => ({ success: (message) => add('success', message), error: (message) => add('error', message), clear: () => setNotices([]) }),
    [add],
  );
  const render = (tone: Tone) =>
    notices
      .filter((notice) => notice.tone === tone)
      .map((notice) => (
        <div key={notice.id} className={`notice notice--${tone}`}>
          <span className="notice__icon">{tone === 'success' ? <CheckIcon size={18} /> : <AlertIcon size={18} />}</span>
          <p className="notice__message">{notice.message}</p>
          <button type="button" className="notice__dismiss" onClick={() => dismiss(notice.id)} aria-label="Dismiss">
            <CloseIcon size={16} />
          </button>
        </div>
      ));

  return (
    <NoticeContext value={notify}>
      {children}
      <div className="notices">
        <div role="status" aria-live="polite">
          {render('success')}
        </div>
        <div role="alert" aria-live="assertive">
          {render('error')}
        </div>
      </div>
    </NoticeContext>
  );
}
