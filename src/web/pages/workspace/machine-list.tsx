import { useId } from 'react';
import type { InstanceMachine } from '../../../common/instances.js';
import { DesktopIcon, GlobeIcon, TerminalIcon } from '../../components/icons.js';
import { MachineStateChip } from '../../components/instance-status.js';
import { MachineTypeMark } from '../../components/machine-summary.js';

/** The instance's machines with their state; choosing one shows its terminal, desktop and apps. */
export function MachineList({ machines, selected, onSelect }: { machines: InstanceMachine[]; selected: string | undefined; onSelect(machine: string): void }) {
  const titleId = useId();
  return (
    <section className="machine-list" aria-labelledby={titleId}>
      <h2 className="machine-list__title" id={titleId}>
        Machines
      </h2>
      <ul className="machine-list__items">
        {machines.map((machine) => {
          const current = machine.name === selected;
          return (
            <li key={machine.name} className={current ? 'machine-item machine-item--selected' : 'machine-item'}>
              <div className="machine-item__top">
                <h3 className="machine-item__name">
                  <button type="button" className="machine-item__button" aria-current={current ? 'true' : undefined} onClick={() => onSelect(machine.name)}>
                    {machine.name}
                  </button>
                </h3>
                <AccessIcons machine={machine} />
              </div>
              <div className="machine-item__facts">
                <MachineStateChip state={machine.state} />
                <MachineTypeMark type={machine.type} />
              </div>
              {machine.message && <p className="machine-item__message">{machine.message}</p>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** What the machine offers, as a quiet row of icons with words for screen readers. */
function AccessIcons({ machine }: { machine: InstanceMachine }) {
  const apps = machine.access.filter((access) => typeof access === 'object').length;
  const words = [machine.access.includes('terminal') && 'terminal', machine.access.includes('desktop') && 'desktop', apps > 0 && (apps === 1 ? 'an app' : `${apps} apps`)].filter(Boolean);
  if (words.length === 0) return null;
  return (
    <span className="machine-item__access">
      <span className="visually-hidden">Offers {words.join(', ')}</span>
      <span aria-hidden="true" className="machine-item__access-icons" title={`Offers ${words.join(', ')}`}>
        {machine.access.includes('terminal') && <TerminalIcon size={15} />}
        {machine.access.includes('desktop') && <DesktopIcon size={15} />}
        {apps > 0 && <GlobeIcon size={15} />}
      </span>
    </span>
  );
}
