/** The API paths of the kinds labhub uses: `{group}/{version}` and plural, namespaced or not. */
export interface Resource {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  base: string;
  plural: string;
  namespaced: boolean;
}

export const resources = {
  namespace: { base: '/api/v1', plural: 'namespaces', namespaced: false },
  node: { base: '/api/v1', plural: 'nodes', namespaced: false },
  pod: { base: '/api/v1', plural: 'pods', namespaced: true },
  service: { base: '/api/v1', plural: 'services', namespaced: true },
  secret: { base: '/api/v1', plural: 'secrets', namespaced: true },
  persistentVolumeClaim: { base: '/api/v1', plural: 'persistentvolumeclaims', namespaced: true },
  resourceQuota: { base: '/api/v1', plural: 'resourcequotas', namespaced: true },
  limitRange: { base: '/api/v1', plural: 'limitranges', namespaced: true },
  networkPolicy: { base: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  virtualMachine: { base: '/apis/kubevirt.io/v1', plural: 'virtualmachines', namespaced: true },
  virtualMachineInstance: { base: '/apis/kubevirt.io/v1', plural: 'virtualmachineinstances', namespaced: true },
  dataVolume: { base: '/apis/cdi.kubevirt.io/v1beta1', plural: 'datavolumes', namespaced: true },
} as const satisfies Record<string, Resource>;

/** The resource of an object's apiVersion and kind (of the kinds labhub creates). */
export function resourceOf(object: { apiVersion?: string; kind?: string }): Resource {
  const found = Object.values(resources).find((resource) => resource.base.endsWith(`/${object.apiVersion ?? ''}`) && kindOf(resource) === object.kind);
  if (!found) throw new Error(`labhub does not create ${object.apiVersion}/${object.kind}`);
  return found;
}

const kinds: Record<string, string> = {
  namespaces: 'Namespace',
  nodes: 'Node',
  pods: 'Pod',
  services: 'Service',
  secrets: 'Secret',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  resourcequotas: 'ResourceQuota',
  limitranges: 'LimitRange',
  networkpolicies: 'NetworkPolicy',
  virtualmachines: 'VirtualMachine',
  virtualmachineinstances: 'VirtualMachineInstance',
  datavolumes: 'DataVolume',
};

function kindOf(resource: Resource): string | undefined {
  return kinds[resource.plural];
}

/** The collection (no name) or one object; across all namespaces when `namespace` is undefined. */
export function pathOf(resource: Resource, namespace?: string, name?: string, query?: Record<string, string>): string {
  let path = resource.base;
  if (resource.namespaced && namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${resource.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  const search = query ? new URLSearchParams(query).toString() : '';
  return search ? `${path}?${search}` : path;
}

/** A KubeVirt subresource of a VMI: console, vnc, pause, unpause, portforward/<port>. */
export function vmiSubresourcePath(namespace: string, name: string, subresource: string): string {
  return `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(namespace)}/virtualmachineinstances/${encodeURIComponent(name)}/${subresource}`;
}
