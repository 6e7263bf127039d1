import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import type { Instance } from '../../common/instances.js';
import { ApiError } from '../api/client.js';
import { isBusy, useInstance, usePowerAction } from '../api/instances.js';
import { queryKeys } from '../api/query-keys.js';
import { Button } from '../components/button.js';
import { AlertIcon } from '../components/icons.js';
import { InstructionsPane } from '../components/instructions-pane.js';
import { progressText } from '../components/instance-status.js';
import { NotFound } from '../components/not-found.js';
import { LoadError, Loading } from '../components/status.js';
import type { TabChoice } from '../components/tab-list.js';
import { useCurrentUser } from '../hooks/use-current-user.js';
import { altShift, useShortcut } from '../hooks/use-shortcut.js';
import { useStoredFlag } from '../hooks/use-stored-flag.js';
import { WorkspaceAccessContext } from '../hooks/use-workspace-access.js';
import { TerminalInputs, TerminalInputsContext } from '../hooks/use-terminal-inputs.js';
import { machineAvailability, type PowerButton } from './workspace/availability.js';
import { MachineList } from './workspace/machine-list.js';
import { MachinePane, viewIds, viewsOf, type MachineViewKind } from './workspace/machine-pane.js';
import { actionIcons, actionLabels, usePowerRunner } from './workspace/power-actions.js';
import { LimitBanners } from './workspace/time-limits.js';
import { WorkspaceHeader } from './workspace/workspace-header.js';

/** The workspace of one instance: `/instances/:id`. */
export default function WorkspacePage() {
  const { id = '' } = useParams();
  const instance = useInstance(id);
  if (instance.error instanceof ApiError && instance.error.status === 404) {
    return (
      <div className="workspace-message">
        <NotFound title="There is no such instance">
          <p>It may have been deleted, stopped for good when its time ran out, or its owner stopped sharing it with you.</p>
        </NotFound>
      </div>
    );
  }
  if (instance.isPending) return <Loading label="Loading the instance…" />;
  if (instance.isError) {
    return (
      <div className="workspace-message">
        <LoadError error={instance.error} onRetry={() => void instance.refetch()} retrying={instance.isFetching} />
      </div>
    );
  }
  return <Workspace instance={instance.data} />;
}

const instructionsShortcut = altShift('I');
const tabsShortcut = altShift('T');
const shortcutHelp = [
  { keys: instructionsShortcut.keys, label: 'Show or hide the instructions' },
  { keys: tabsShortcut.keys, label: 'Leave the terminal or desktop: focus moves to its tabs' },
];
const instructionsPaneId = 'workspace-instructions';

interface Selection {
  machine: string | undefined;
  view: MachineViewKind | undefined;
}

function Workspace({ instance }: { instance: Instance }) {
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const power = usePowerAction(instance.id);
  const run = usePowerRunner(power);
  const [instructionsShown, setInstructionsShown] = useStoredFlag('labhub.workspace.instructions', true);
  const toggleInstructions = useCallback(() => setInstructionsShown((shown) => !shown), [setInstructionsShown]);
  useShortcut(instructionsShortcut, toggleInstructions);

  // Which machine and view are shown lives in the address, so a reload comes back to them.
  const [params, setParams] = useSearchParams();
  const selection = currentSelection(instance, params.get('machine'), params.get('view'));
  const lastViews = useRef(new Map<string, MachineViewKind>());
  const [opened, setOpened] = useState<ReadonlySet<string>>(() => new Set());
  const [focus, setFocus] = useState({ key: '', count: 0 });
  const [terminalInputs] = useState(() => new TerminalInputs());
  const isOpened = (machine: string, view: MachineViewKind) => opened.has(`${machine}/${view}`) || (machine === selection.machine && view === selection.view);

  const select = (machineName: string, wanted: MachineViewKind | undefined, how: TabChoice) => {
    const machine = instance.machines.find((candidate) => candidate.name === machineName);
    if (!machine) return;
    const views = viewsOf(machine);
    const view = wanted && views.includes(wanted) ? wanted : (lastViews.current.get(machineName) ?? views[0]);
    if (view) lastViews.current.set(machineName, view);
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set('machine', machineName);
        if (view) next.set('view', view);
        else next.delete('view');
        return next;
      },
      { replace: true },
    );
    setOpened((previous) => {
      const next = new Set(previous);
      // The view shown so far was opened too; keep it mounted (its terminal keeps its screen).
      if (selection.machine && selection.view) next.add(`${selection.machine}/${selection.view}`);
      if (view) next.add(`${machineName}/${view}`);
      return next;
    });
    if (how === 'activate' && view) setFocus((previous) => ({ key: `${machineName}/${view}`, count: previous.count + 1 }));
  };

  useShortcut(tabsShortcut, () => {
    if (selection.machine && selection.view) document.getElementById(viewIds(selection.machine, selection.view).tab)?.focus();
  });

  const onLost = useCallback(() => void queryClient.invalidateQueries({ queryKey: queryKeys.instances.detail(instance.id) }), [queryClient, instance.id]);

  const powerButton: PowerButton = (action) => {
    if (instance.access === 'view') return null;
    const allowed = action === 'resume' ? instance.status === 'paused' : instance.status === 'stopped' || instance.status === 'failed';
    if (!allowed || isBusy(instance)) return null;
    const Icon = actionIcons[action];
    return (
      <Button size="small" variant="primary" onClick={() => run(action)} pending={power.isPending && power.variables === action} pendingLabel={actionLabels[action].pending}>
        <Icon size={16} />
        {action === 'start' && instance.status === 'failed' ? 'Start again' : actionLabels[action].label}
      </Button>
    );
  };

  // Run buttons of the instructions type into a terminal, shown so the learner sees it happen: the
  // machine the code block names (the lab validated that it has a terminal), else the selected one.
  const hasTerminal = (name: string | undefined) => {
    const machine = instance.machines.find((candidate) => candidate.name === name);
    return machine !== undefined && viewsOf(machine).includes('terminal');
  };
  const runInTerminal = (text: string, named: string | undefined) => {
    const target = named ?? selection.machine;
    if (!target || !hasTerminal(target)) return;
    select(target, 'terminal', 'activate');
    terminalInputs.send(target, text);
  };

  const failed = instance.status === 'failed';
  return (
    <WorkspaceAccessContext value={instance.access}>
    <TerminalInputsContext.Provider value={terminalInputs}>
      <div className={instructionsShown ? 'workspace' : 'workspace workspace--no-instructions'}>
        <WorkspaceHeader
          instance={instance}
          yours={instance.owner === me.username}
          power={power}
          instructions={{ shown: instructionsShown, toggle: toggleInstructions, paneId: instructionsPaneId, shortcut: instructionsShortcut.keys }}
        />
        {failed && (
          <section className="workspace-failure" aria-labelledby="failure-title">
            <h2 className="workspace-failure__title" id="failure-title">
              <AlertIcon size={20} />
              {instance.desired === 'running' ? 'This instance could not start' : 'This instance failed'}
            </h2>
            <p className="workspace-failure__message" role="alert">
              {progressText(instance) ?? 'labhub did not say why; the server log has the details.'}
            </p>
            <p className="workspace-failure__hint">Start tries again; Reset starts over from the base images; Delete removes the instance.</p>
          </section>
        )}
        <LimitBanners instance={instance} />
        <div className="workspace__body">
          <MachineList machines={instance.machines} selected={selection.machine} onSelect={(machine) => select(machine, undefined, 'activate')} />
          <div className="workspace__stage">
            {instance.machines.map((machine) => (
              <MachinePane
                key={machine.name}
                instanceId={instance.id}
                machine={machine}
                hidden={machine.name !== selection.machine}
                view={machine.name === selection.machine ? selection.view : (lastViews.current.get(machine.name) ?? viewsOf(machine)[0])}
                onView={(view, how) => select(machine.name, view, how)}
                opened={new Set(viewsOf(machine).filter((view) => isOpened(machine.name, view)))}
                focusSignal={(view) => (focus.key === `${machine.name}/${view}` ? focus.count : 0)}
                availability={machineAvailability(instance, machine, powerButton)}
                onLost={onLost}
                shortcuts={shortcutHelp}
              />
            ))}
            {instance.machines.length === 0 && <p className="machine-pane__empty">This instance has no machines.</p>}
          </div>
          <div className="workspace__instructions" hidden={!instructionsShown}>
            <InstructionsPane
              id={instructionsPaneId}
              instanceId={instance.id}
              status={instance.status}
              onHide={toggleInstructions}
              shortcut={instructionsShortcut.keys}
              {...(instance.access !== 'view' && { onRun: runInTerminal })}
              canRunOnSelected={hasTerminal(selection.machine)}
            />
          </div>
        </div>
      </div>
    </TerminalInputsContext.Provider>
    </WorkspaceAccessContext>
  );
}

/** The machine and view named in the address if they exist, else the first machine with a terminal or desktop. */
function currentSelection(instance: Instance, machineParam: string | null, viewParam: string | null): Selection {
  const machine =
    instance.machines.find((candidate) => candidate.name === machineParam) ?? instance.machines.find((candidate) => viewsOf(candidate).length > 0) ?? instance.machines[0];
  if (!machine) return { machine: undefined, view: undefined };
  const views = viewsOf(machine);
  const view = views.find((candidate) => candidate === viewParam) ?? views[0];
  return { machine: machine.name, view };
}
