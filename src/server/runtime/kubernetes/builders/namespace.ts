import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { kubeLabels, kubeNamespaceName, kubePlanSecretName, labelKeys } from '../../naming.js';
import type { InstancePlan } from '../../runtime.js';

/**
 * The instance's Namespace: its labels find it again, its annotations keep what labels cannot
 * hold exactly (the owner's user name may not be a valid label value) and the machines it has
 * (a stopped container machine has no Pod to find it by).
 */
export function buildNamespace(plan: InstancePlan): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: kubeNamespaceName(plan.instanceId),
      labels: kubeLabels(plan),
      annotations: {
        [labelKeys.owner]: plan.owner,
        [labelKeys.instance]: plan.instanceId,
        [labelKeys.installation]: plan.installation,
        [labelKeys.machines]: plan.machines.map((machine) => `${machine.name}:${machine.type}`).join(','),
      },
    },
  };
}

/**
 * The plan itself, kept in the instance's Namespace: starting a stopped instance recreates its
 * container machines' Pods from it (a stopped container has no Pod). A Secret, since a plan
 * holds environment values and cloud-init user data.
 */
export function buildPlanSecret(plan: InstancePlan): ISecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: kubePlanSecretName, namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan) },
    type: 'Opaque',
    data: { 'plan.json': Buffer.from(JSON.stringify(plan)).toString('base64') },
  };
}
