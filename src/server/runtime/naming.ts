import { createHash, randomBytes } from 'node:crypto';
import type { InstancePlan } from './runtime.js';

/** Every name a runtime generates comes from here, so objects can always be found again. */

export const labelKeys = {
  instance: 'labhub.io/instance',
  owner: 'labhub.io/owner',
  machine: 'labhub.io/machine',
  lab: 'labhub.io/lab',
  /** Which labhub made it: the reconciler only ever removes what its own installation made. */
  installation: 'labhub.io/installation',
  /** On container machines with a desktop: the port of their VNC server. */
  vncPort: 'labhub.io/vnc-port',
  /** Kubernetes runtime: `container` or `vm`, so a Pod watch tells a machine's Pod from a VM's virt-launcher Pod. */
  machineType: 'labhub.io/machine-type',
  /** Kubernetes runtime, on a container machine's Pod: set while its processes are frozen (pause). */
  paused: 'labhub.io/paused',
  /** Kubernetes runtime, on an instance's Namespace: its machines as `name:type,…` (a stopped container has no Pod to find). */
  machines: 'labhub.io/machines',
} as const;

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A new instance id: 12 characters of lower-case base32, a valid DNS label by itself, starting with a letter. */
export function newInstanceId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(12);
  let id = alphabet[(bytes[0] ?? 0) % 26] ?? 'a';
  for (let i = 1; i < 12; i++) id += alphabet[(bytes[i] ?? 0) % 32];
  return id;
}

/**
 * A valid DNS label from any text (kubespawner's `safe_slug`): kept as it is when it already is
 * one, otherwise lower-cased, cleaned, truncated and suffixed with a short hash of the original
 * so that distinct inputs never collide. Never over `max` (≤ 63) characters.
 */
export function safeName(text: string, max = 63): string {
  if (dnsLabel.test(text) && text.length <= max && !/--[0-9a-f]{8}$/.test(text)) return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max - hash.length - 2)
    .replace(/-+$/, '');
  return slug ? `${slug}--${hash}` : `x--${hash}`;
}

/** The labels every object of an instance carries. */
export function instanceLabels(plan: Pick<InstancePlan, 'instanceId' | 'owner' | 'lab' | 'installation'>): Record<string, string> {
  return { [labelKeys.instance]: plan.instanceId, [labelKeys.owner]: plan.owner, [labelKeys.lab]: plan.lab.name, [labelKeys.installation]: plan.installation };
}

export function machineLabels(plan: Pick<InstancePlan, 'instanceId' | 'owner' | 'lab' | 'installation'>, machine: string): Record<string, string> {
  return { ...instanceLabels(plan), [labelKeys.machine]: machine };
}

/** Local runtime: the per-instance network. */
export function networkName(instanceId: string): string {
  return `labhub-${instanceId}`;
}

/** Local runtime: the host's bridge interface of the per-instance network (Linux allows 15 characters). */
export function bridgeName(instanceId: string): string {
  return /^[a-z0-9]{1,12}$/.test(instanceId) ? `lh-${instanceId}` : `lh-${createHash('sha256').update(instanceId).digest('hex').slice(0, 12)}`;
}

/** Local runtime: the container of a container machine, or the launcher of a VM. */
export function containerName(instanceId: string, machine: string): string {
  return `labhub-${instanceId}-${machine}`;
}

/** Kubernetes runtime: the Namespace of an instance. */
export function kubeNamespaceName(instanceId: string): string {
  return safeName(`labhub-${instanceId}`);
}

/** Kubernetes runtime: the Pod, VirtualMachine and headless Service of a machine (its host name on the lab network). */
export function kubeMachineName(machine: string): string {
  return safeName(machine);
}

/** Kubernetes runtime: the DataVolume (and so the PersistentVolumeClaim) holding a VM's disk. */
export function kubeDiskName(machine: string): string {
  return safeName(`${machine}-disk`);
}

/** Kubernetes runtime: the PersistentVolumeClaim holding a container machine's home directory (/root), kept while it is stopped. */
export function kubeHomeClaimName(machine: string): string {
  return safeName(`${machine}-home`);
}

/** Kubernetes runtime: the Secret holding a VM's cloud-init user data when it is too large to inline. */
export function kubeCloudInitSecretName(machine: string): string {
  return safeName(`${machine}-cloud-init`);
}

/** Kubernetes runtime: the Secret in an instance's Namespace that keeps its plan (to start stopped containers again). */
export const kubePlanSecretName = 'labhub-plan';

const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A valid Kubernetes label value (≤ 63 characters of letters, digits, `-`, `_`, `.`) from any
 * text: kept when it already is one, otherwise `safeName`'s slug with a hash, so distinct
 * inputs never collide. The exact text goes into an annotation where it matters (the owner).
 */
export function kubeLabelValue(text: string): string {
  if (text.length <= 63 && labelValuePattern.test(text) && !/--[0-9a-f]{8}$/.test(text)) return text;
  return safeName(text);
}

/** Kubernetes runtime: `labels()` with every value made a valid label value. */
export function kubeLabels(plan: Pick<InstancePlan, 'instanceId' | 'owner' | 'lab' | 'installation'>, machine?: string): Record<string, string> {
  const labels = machine === undefined ? instanceLabels(plan) : machineLabels(plan, machine);
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, kubeLabelValue(value)]));
}
