import type { LabDetail, LabMachineDetail, LabSummary, LabVersionInfo } from '../../common/lab/api.js';
import type { NormalizedMachine } from '../../common/lab/normalized.js';
import { unlockedSteps } from '../../common/lab/guide.js';
import type { LabVersionMeta } from '../store/labs.js';
import type { CatalogEntry } from './catalog.js';
import type { LabRole } from './ownership.js';

/**
 * What the API shows of a catalog entry. Those who hold the lab (`role`: its owner, its authors,
 * admins) see why it is broken, its YAML, its groups and its check commands; everyone else sees
 * that it is broken and the steps, not the answers.
 */
export function toLabSummary(entry: CatalogEntry, role: LabRole | null): LabSummary {
  const canAuthor = role !== null;
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

/**
 * One lab in full for those who hold it; for everyone else no more than the steps API shows a
 * fresh instance: no check command, and in a gated lab no text of the steps that open later.
 */
export function toLabDetail(entry: CatalogEntry, role: LabRole | null): LabDetail {
  const lab = entry.lab;
  const canAuthor = role !== null;
  const open = lab && !canAuthor ? unlockedSteps(lab, new Map()) : Infinity;
  return {
    ...toLabSummary(entry, role),
    machines: (lab?.machines ?? []).map(machineDetail),
    network: lab ? { egress: lab.network.egress } : null,
    instructions: (lab?.instructions ?? []).map((step, index) => ({
      title: step.title,
      body: index + 1 <= open ? step.body : '',
      check: step.check ? { machine: step.check.machine, timeoutSeconds: step.check.timeoutSeconds, ...(canAuthor && { run: step.check.run }) } : null,
    })),
    ...(canAuthor && { yaml: entry.yaml, authorship: { owner: entry.owner, authors: entry.authors, you: role } }),
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
