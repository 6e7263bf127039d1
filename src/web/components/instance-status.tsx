import type { Instance, InstanceMachine } from '../../common/instances.js';
import { isBusy } from '../api/instances.js';
import { Spinner } from './spinner.js';

export const statusLabels: Record<Instance['status'], string> = {
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  paused: 'Paused',
  failed: 'Failed',
  deleting: 'Deleting',
};

const machineStateLabels: Record<InstanceMachine['state'], string> = {
  pending: 'Pending',
  starting: 'Starting',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  failed: 'Failed',
};

/** The instance's status as a coloured word; spins while the instance is on its way somewhere. */
export function InstanceStatusBadge({ instance }: { instance: Instance }) {
  const busy = isBusy(instance);
  return (
    <span className={`state state--${instance.status}`}>
      {busy ? <Spinner /> : <span className="state__dot" aria-hidden="true" />}
      {statusLabels[instance.status]}
    </span>
  );
}

export function MachineStateChip({ state }: { state: InstanceMachine['state'] }) {
  return (
    <span className={`state state--small state--${state}`}>
      <span className="state__dot" aria-hidden="true" />
      {machineStateLabels[state]}
    </span>
  );
}

/**
 * The server's progress message as a sentence: "building labhub/shell…" becomes
 * "Building labhub/shell…"; while busy it trails off, since it is still happening.
 */
export function progressText(instance: Instance): string | undefined {
  const message = instance.message?.trim();
  if (!message) return undefined;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  if (instance.status === 'failed' || !isBusy(instance)) return sentence;
  return /[.…!?]$/.test(sentence) ? sentence : `${sentence}…`;
}
