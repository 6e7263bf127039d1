import { lazy, Suspense, useEffect } from 'react';
import type { InstanceMachine } from '../../../common/instances.js';
import type { MachineAvailability } from '../../components/connection-notice.js';
import { DesktopIcon, ExternalLinkIcon, GlobeIcon, TerminalIcon } from '../../components/icons.js';
import { Loading } from '../../components/status.js';
import { TabList, type TabChoice } from '../../components/tab-list.js';
import { TerminalView } from '../../components/terminal-view.js';

// noVNC is only downloaded for machines with a desktop, while the learner looks at the terminal,
// so the Desktop tab opens without waiting for it.
const loadDesktopView = () => import('../../components/desktop-view.js');
const DesktopView = lazy(() => loadDesktopView().then((module) => ({ default: module.DesktopView })));

export type MachineViewKind = 'terminal' | 'desktop';

/** The ways into a machine that show inside the workspace, in tab order. */
export function viewsOf(machine: InstanceMachine): MachineViewKind[] {
  return (['terminal', 'desktop'] as const).filter((view) => machine.access.includes(view));
}

const viewLabels: Record<MachineViewKind, string> = { terminal: 'Terminal', desktop: 'Desktop' };

/** DOM ids of one machine's tabs and panels; machine names are DNS labels, safe in ids. */
export const viewIds = (machine: string, view: MachineViewKind) => ({ tab: `machine-${machine}-${view}-tab`, panel: `machine-${machine}-${view}-panel` });

export interface MachinePaneProps {
  instanceId: string;
  machine: InstanceMachine;
  hidden: boolean;
  view: MachineViewKind | undefined;
  onView(view: MachineViewKind, how: TabChoice): void;
  /** Views opened at least once: they stay mounted (and connected) while hidden. */
  opened: ReadonlySet<MachineViewKind>;
  focusSignal(view: MachineViewKind): number;
  availability: MachineAvailability;
  onLost(code: number): void;
  shortcuts: { keys: string; label: string }[];
}

/** One machine: tabs for its terminal and desktop, links to its apps, and the views themselves. */
export function MachinePane({ instanceId, machine, hidden, view, onView, opened, focusSignal, availability, onLost, shortcuts }: MachinePaneProps) {
  const views = viewsOf(machine);
  const apps = machine.apps;
  const hasDesktop = views.includes('desktop');
  useEffect(() => {
    if (hasDesktop) void loadDesktopView();
  }, [hasDesktop]);
  return (
    <section className="machine-pane" hidden={hidden} aria-label={`Machine ${machine.name}`}>
      <div className="machine-pane__bar">
        {views.length > 0 && view && (
          <TabList
            label={`Ways into ${machine.name}`}
            selected={view}
            onSelect={onView}
            tabs={views.map((kind) => ({
              id: kind,
              tabId: viewIds(machine.name, kind).tab,
              panelId: viewIds(machine.name, kind).panel,
              label: (
                <>
                  {kind === 'terminal' ? <TerminalIcon size={16} /> : <DesktopIcon size={16} />}
                  {viewLabels[kind]}
                </>
              ),
            }))}
          />
        )}
        {apps.length > 0 && (
          <ul className="app-links" aria-label={`Apps on ${machine.name}`}>
            {apps.map(({ port, url }) => (
              <li key={port}>
                <a className="app-link" href={url} target="_blank" rel="noopener noreferrer">
                  <GlobeIcon size={15} />
                  App on port {port}
                  <ExternalLinkIcon size={14} />
                  <span className="visually-hidden"> (opens in a new tab)</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </div>
      {views.map((kind) => {
        const ids = viewIds(machine.name, kind);
        return (
          <div key={kind} role="tabpanel" id={ids.panel} aria-labelledby={ids.tab} hidden={kind !== view} className="machine-pane__panel">
            {opened.has(kind) &&
              (kind === 'terminal' ? (
                <TerminalView instanceId={instanceId} machine={machine.name} availability={availability} focusSignal={focusSignal(kind)} onLost={onLost} shortcuts={shortcuts} />
              ) : (
                <Suspense fallback={<Loading label="Loading the desktop viewer…" />}>
                  <DesktopView instanceId={instanceId} machine={machine.name} availability={availability} focusSignal={focusSignal(kind)} onLost={onLost} shortcuts={shortcuts} />
                </Suspense>
              ))}
          </div>
        );
      })}
      {views.length === 0 && (
        <div className="machine-pane__empty">
          <p className="machine-pane__empty-title">{machine.name} has no terminal or desktop</p>
          <p>{apps.length > 0 ? 'Open its apps with the links above; they open in a new tab.' : 'The lab offers no way into it from the browser.'}</p>
        </div>
      )}
    </section>
  );
}
