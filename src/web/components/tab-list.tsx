import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabItem<T extends string> {
  id: T;
  label: ReactNode;
  /** The tab element's id; its panel is labelled by it. */
  tabId: string;
  /** The id of the tabpanel the tab shows. */
  panelId: string;
}

/** How a tab was chosen: arrow keys keep focus in the tab list; a click, Enter or Space means "go there". */
export type TabChoice = 'arrow' | 'activate';

export interface TabListProps<T extends string> {
  label: string;
  tabs: TabItem<T>[];
  selected: T;
  onSelect(id: T, how: TabChoice): void;
  className?: string;
}

/**
 * A WAI-ARIA tab list: one tab in the Tab order (the selected one), arrow keys, Home and End
 * move between tabs and show them at once; panels are the caller's, marked `role="tabpanel"`.
 */
export function TabList<T extends string>({ label, tabs, selected, onSelect, className }: TabListProps<T>) {
  const buttons = useRef(new Map<T, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = tabs.findIndex((tab) => tab.id === selected);
    const last = tabs.length - 1;
    const next = { ArrowRight: index >= last ? 0 : index + 1, ArrowLeft: index <= 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (next === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    const tab = tabs[next];
    if (!tab) return;
    event.preventDefault();
    onSelect(tab.id, 'arrow');
    buttons.current.get(tab.id)?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className={['tabs', className].filter(Boolean).join(' ')} onKeyDown={onKeyDown}>
      {tabs.map((tab) => {
        const isSelected = tab.id === selected;
        return (
          <button
            key={tab.id}
            ref={(button) => {
              if (button) buttons.current.set(tab.id, button);
              else buttons.current.delete(tab.id);
            }}
            type="button"
            role="tab"
            id={tab.tabId}
            className="tab"
            aria-selected={isSelected}
            aria-controls={tab.panelId}
            tabIndex={isSelected ? 0 : -1}
            onClick={() => onSelect(tab.id, 'activate')}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}
