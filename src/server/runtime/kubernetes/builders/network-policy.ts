import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { kubeLabels, kubeNamespaceName } from '../../naming.js';
import type { InstancePlan } from '../../runtime.js';
import { labhubPodLabels, type KubeSettings } from './settings.js';

/** Private address ranges: other namespaces' Pods and Services live there, so `egress: allow` still keeps them out. */
const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];

/**
 * One NetworkPolicy for every Pod of the instance (virt-launcher Pods of VMs included):
 * ingress only from the same Namespace and from labhub's own Pods (the gateway); egress to the
 * same Namespace and to the cluster DNS always, to the internet only when the lab allows it.
 */
export function buildNetworkPolicy(plan: InstancePlan, settings: KubeSettings): INetworkPolicy {
  const sameNamespace: INetworkPolicyPeer = { podSelector: {} };
  const dns: INetworkPolicyPeer = { namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'labhub-instance', namespace: kubeNamespaceName(plan.instanceId), labels: kubeLabels(plan) },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            sameNamespace,
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': settings.labhubNamespace } }, podSelector: { matchLabels: { ...labhubPodLabels } } },
          ],
        },
      ],
      egress: [
        { to: [sameNamespace] },
        { to: [dns], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ...(plan.network.egress === 'allow' ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: privateRanges } }] }] : []),
      ],
    },
  };
}
