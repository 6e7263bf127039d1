import { useEffect } from 'react';

/** Sets the tab's title to `<title> · labhub` while the calling page is shown. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · labhub`;
  }, [title]);
}
