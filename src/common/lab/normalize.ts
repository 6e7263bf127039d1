import { containerImageCapabilities } from './images.js';
import type { Credential, MachineAccess, MachineResources, NormalizedLab, NormalizedMachine, VmDisk } from './normalized.js';
import { parseBytes, parseCpu, parseDuration } from './quantities.js';
import { labDefaults, type LabContainerMachine, type LabDocument, type LabVmMachine } from './schema.js';

/** Fills defaults and converts units of a lab that passed the schema and the rules (so every parse here succeeds). */
export function normalizeLab(document: LabDocument): NormalizedLab {
  const { metadata, spec } = document;
  return {
    name: metadata.name,
    title: metadata.title ?? metadata.name,
    description: metadata.description ?? '',
    tags: metadata.tags ?? [],
    authors: metadata.authors ?? [],
    limits: {
      timeLimitSeconds: seconds(spec.limits?.timeLimit ?? labDefaults.timeLimit),
      idleTimeoutSeconds: seconds(spec.limits?.idleTimeout ?? labDefaults.idleTimeout),
      maxInstancesPerUser: spec.limits?.maxInstancesPerUser ?? labDefaults.maxInstancesPerUser,
    },
    network: { egress: spec.network?.egress ?? labDefaults.egress },
    groups: spec.groups ?? [],
    machines: spec.machines.map(normalizeMachine),
    instructions: (spec.instructions ?? []).map((step) => ({
      title: step.title,
      body: step.body ?? '',
      check: step.check ? { machine: step.check.machine, run: step.check.run, timeoutSeconds: seconds(step.check.timeout ?? labDefaults.checkTimeout) } : null,
    })),
    guide: { gated: spec.guide?.gated ?? false },
  };
}

function normalizeMachine(machine: LabContainerMachine | LabVmMachine): NormalizedMachine {
  const common = {
    name: machine.name,
    access: (machine.access ?? [...labDefaults.access]).map((access): MachineAccess => (typeof access === 'string' ? access : { http: access.http })),
    env: { ...machine.env },
    credentials: credentialsOf(machine.credentials),
  };
  if (machine.type === 'container') {
    return {
      ...common,
      type: 'container',
      resources: resourcesOf(machine.resources, labDefaults.containerMemory),
      image: machine.image,
      vncPort: machine.vncPort ?? containerImageCapabilities(machine.image)?.vncPort ?? null,
    };
  }
  return {
    ...common,
    type: 'vm',
    resources: resourcesOf(machine.resources, labDefaults.vmMemory),
    disk: diskOf(machine.disk),
    userData: machine.cloudInit?.userData ?? null,
  };
}

function resourcesOf(resources: LabContainerMachine['resources'], defaultMemory: string): MachineResources {
  return {
    cpuMillis: parseCpu(resources?.cpu ?? labDefaults.cpu) ?? 1000,
    memoryBytes: parseBytes(resources?.memory ?? defaultMemory) ?? 0,
    diskBytes: resources?.disk === undefined ? null : (parseBytes(resources.disk) ?? null),
  };
}

function diskOf(disk: LabVmMachine['disk']): VmDisk {
  if (disk.containerDisk !== undefined) return { source: 'containerDisk', image: disk.containerDisk };
  if (disk.url !== undefined) return { source: 'url', url: disk.url };
  if (disk.pvc !== undefined) return { source: 'pvc', claimName: disk.pvc };
  return { source: 'image', image: disk.image ?? '' };
}

function credentialsOf(credentials: LabContainerMachine['credentials']): Credential[] {
  if (credentials === undefined) return [];
  return (Array.isArray(credentials) ? credentials : [credentials]).map(({ username, password }) => (password === undefined ? { username } : { username, password }));
}

function seconds(duration: string): number {
  return parseDuration(duration) ?? 0;
}
