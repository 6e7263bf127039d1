import type { ReactNode } from 'react';
import type { Instance, InstanceMachine } from '../../../common/instances.js';
import type { MachineAvailability } from '../../components/connection-notice.js';
import { progressText } from '../../components/instance-status.js';

/** The button that makes a machine run again, if the learner can press one now. */
export type PowerButton = (action: 'start' | 'resume') => ReactNode;

/**
 * Whether a machine's terminal and desktop can connect, and if not, what is happening in words:
 * the machine's own message first (it is the more precise), then the instance's progress.
 */
export function machineAvailability(instance: Instance, machine: InstanceMachine, button: PowerButton): MachineAvailability {
  const name = machine.name;
  const progress = machine.message ?? progressText(instance) ?? null;
  if (instance.status === 'deleting') return { running: false, busy: true, title: 'Removing the machines…', detail: null };
  if (instance.status === 'running' && machine.state === 'running') return { running: true, busy: false, title: '', detail: null };
  if (instance.status === 'failed' || machine.state === 'failed') {
    return {
      running: false,
      busy: false,
      title: machine.state === 'failed' ? `${name} failed` : 'The instance failed',
      detail: progress ?? 'The server log has the details.',
      action: button('start'),
    };
  }
  if (instance.status === 'stopping') return { running: false, busy: true, title: `Stopping ${name}…`, detail: progress };
  if (instance.status === 'starting' || machine.state === 'pending' || machine.state === 'starting' || (instance.desired === 'running' && instance.status !== 'running')) {
    return { running: false, busy: true, title: instance.status === 'paused' ? `Resuming ${name}…` : `Starting ${name}…`, detail: progress, ...(instance.progress !== null && { progress: instance.progress }) };
  }
  if (instance.status === 'paused' || machine.state === 'paused') {
    return { running: false, busy: false, title: `${name} is paused`, detail: 'Everything is frozen as it was. Resume to carry on.', action: button('resume') };
  }
  if (instance.status === 'stopped') {
    return { running: false, busy: false, title: `${name} is off`, detail: 'Its disk is kept. Start the instance to turn it back on.', action: button('start') };
  }
  return { running: false, busy: false, title: `${name} is not running`, detail: machine.message ?? null };
}
