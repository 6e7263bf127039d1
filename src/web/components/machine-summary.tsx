import type { MachineAccessView } from '../../common/lab/api.js';
import { ContainerIcon, DesktopIcon, GlobeIcon, TerminalIcon, VmIcon } from './icons.js';

export type MachineType = 'container' | 'vm';

const typeLabels: Record<MachineType, string> = { container: 'Container', vm: 'VM' };
const typeTitles: Record<MachineType, string> = { container: 'A container: a process tree sharing the host kernel', vm: 'A virtual machine: its own kernel and screen' };

/** Whether a machine is a VM or a container: an icon and the word, so colour and shape are never the only sign. */
export function MachineTypeMark({ type }: { type: MachineType }) {
  return (
    <span className={`machine-type machine-type--${type}`} title={typeTitles[type]}>
      {type === 'vm' ? <VmIcon size={14} /> : <ContainerIcon size={14} />}
      {typeLabels[type]}
    </span>
  );
}

/** "Terminal", "Desktop", "App on port 8080". */
export function accessLabel(access: MachineAccessView): string {
  if (access === 'terminal') return 'Terminal';
  if (access === 'desktop') return 'Desktop';
  return `App on port ${access.http}`;
}

function accessKey(access: MachineAccessView): string {
  return typeof access === 'string' ? access : `http-${access.http}`;
}

/** How a learner reaches a machine, as small labelled chips. */
export function AccessList({ access, compact = false }: { access: MachineAccessView[]; compact?: boolean }) {
  if (access.length === 0) return <span className="muted">No access</span>;
  if (compact) {
    // On a card the methods are a quiet line of words; the icons would crowd the machine's name out.
    return (
      <ul className="access-list access-list--compact" aria-label="Access">
        {access.map((method) => (
          <li key={accessKey(method)}>{accessLabel(method)}</li>
        ))}
      </ul>
    );
  }
  return (
    <ul className="access-list" aria-label="Access">
      {access.map((method) => (
        <li key={accessKey(method)} className="access-chip">
          {method === 'terminal' ? <TerminalIcon size={14} /> : method === 'desktop' ? <DesktopIcon size={14} /> : <GlobeIcon size={14} />}
          {accessLabel(method)}
        </li>
      ))}
    </ul>
  );
}
