import { RuntimeError } from '../../runtime.js';

/** What the builders need from labhub's configuration besides the plan. */
export interface KubeSettings {
  /**
   * The registry (host and optional path, e.g. `registry.example.org/labs`) that holds labhub's own
   * images (`labhub/shell`, `labhub/desktop`, the `labhub/<disk>-disk` containerDisks made by
   * images/containerdisk.sh). Undefined: labs may only use images that name their registry.
   */
  imageRegistry: string | undefined;
  /** The Namespace labhub runs in: its Pods may reach every lab (NetworkPolicy), and `{pvc}` disks are cloned from there. */
  labhubNamespace: string;
}

/** The Pod labels of labhub's own Deployment (deploy/kubernetes): the NetworkPolicy of every lab admits them. */
export const labhubPodLabels = { 'app.kubernetes.io/name': 'labhub' } as const;

/**
 * Where the cluster pulls `reference` from: labhub's own images (`labhub/…`, also as Podman names
 * them, `localhost/labhub/…`) come from the configured registry; every other reference is used as written.
 */
export function clusterImage(reference: string, settings: KubeSettings, machine: string): string {
  const own = /^(localhost\/)?(labhub\/.+)$/.exec(reference)?.[2];
  if (!own) return reference;
  if (!settings.imageRegistry) {
    throw new RuntimeError(
      'bad_plan',
      `Machine "${machine}" uses labhub's own image "${own}": set LABHUB_KUBE_IMAGE_REGISTRY to the registry the cluster pulls labhub's images from (docs/operating.md).`,
      { machine },
    );
  }
  return `${settings.imageRegistry.replace(/\/+$/, '')}/${own}`;
}

/** The containerDisk image images/containerdisk.sh makes of labhub's VM disk `name` (with /boot/vmlinuz and /boot/initrd). */
export function diskImage(name: string, settings: KubeSettings, machine: string): string {
  return clusterImage(`labhub/${name}-disk`, settings, machine);
}
