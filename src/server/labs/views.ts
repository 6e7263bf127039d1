import type { LabDetail, LabMachineDetail, LabSummary, LabVersionInfo } from '../../common/lab/api.js';
import type { NormalizedMachine } from '../../common/lab/normalized.js';
import type { LabVersionMeta } from '../store/labs.js';
import type { CatalogEntry } from './catalog.js';

/**
 * What the API shows of a catalog entry. Authors and admins see why a lab is broken, its YAML
 * and its check commands; users see that it is broken and the steps, not the answers.
 */
export function toLabSummary(entry: CatalogEntry, canAuthor: boolean): LabSummary {
  const lab = entry.lab;
  return {
    name: entry.name,
    title: lab?.title ?? entry.name,
    description: lab?.description ?? '',
    tags: lab?.tags ?? [],
    source: entry.source,
    ...(entry.file !== undefined && { file: entry.file }),
    status: entry.status,
    ...(canAuthor && entry.status === 'broken' && { problems: entry.problems }),
    ...(canAuthor && lab && lab.groups.length > 0 && { groups: lab.groups }),
    version: entry.version,
    machines: (lab?.machines ?? []).map((machine) => ({ name: machine.name, type: machine.type, access: machine.access })),
    limits: lab ? { ...lab.limits } : null,
    instructionTitles: (lab?.instructions ?? []).map((step) => step.title),
    updatedAt: new Date(entry.updatedAt).toISOString(),
  };
}

export function toLabDetail(entry: CatalogEntry, canAuthor: boolean): LabDetail {
  const lab = entry.lab;
  return {
    ...toLabSummary(entry, canAuthor),
    machines: (lab?.machines ?? []).map(machineDetail),
    network: lab ? { egress: lab.network.egress } : null,
    instructions: (lab?.instructions ?? []).map((step) => ({
      title: step.title,
      body: step.body,
      check: step.check ? { machine: step.check.machine, timeoutSeconds: step.check.timeoutSeconds, ...(canAuthor && { run: step.check.run }) } : null,
    })),
    ...(canAuthor && { yaml: entry.yaml }),
  };
}

function machineDetail(machine: NormalizedMachine): LabMachineDetail {
  const common = {
    name: machine.name,
    type: machine.type,
    access: machine.access,
    resources: { ...machine.resources },
    credentials: machine.credentials.map((credential) => ({ ...credential })),
  };
  if (machine.type === 'container') return { ...common, image: machine.image };
  const { disk } = machine;
  const ref = disk.source === 'url' ? disk.url : disk.source === 'pvc' ? disk.claimName : disk.image;
  return { ...common, disk: { source: disk.source, ref } };
}

export function toLabVersionInfo(row: LabVersionMeta): LabVersionInfo {
  return { version: row.version, source: row.source, createdAt: new Date(row.created_at).toISOString(), createdBy: row.created_by };
}
