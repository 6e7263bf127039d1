import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';

/**
 * The parts of KubeVirt's `kubevirt.io/v1` and CDI's `cdi.kubevirt.io/v1beta1` types labhub
 * writes or reads, after test/reference/kubevirt-openapi.json (the builder tests
 * validate every object against that document, unknown fields rejected).
 */

type Quantities = Record<string, string>;

export interface DataVolumeSource {
  /** `pullMethod: node`: the node's container runtime pulls the image (no scratch claim, no importer egress). */
  registry?: { url: string; pullMethod?: 'pod' | 'node' };
  http?: { url: string };
  pvc?: { namespace: string; name: string };
}

export interface DataVolumeTemplate {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { source: DataVolumeSource; storage: { resources: { requests: Quantities } } };
}

export type VmVolume =
  | { name: string; dataVolume: { name: string } }
  | { name: string; containerDisk: { image: string } }
  | { name: string; cloudInitNoCloud: { userData: string } | { secretRef: { name: string } } };

export interface VmTemplateSpec {
  hostname: string;
  terminationGracePeriodSeconds: number;
  domain: {
    cpu: { cores: number };
    memory: { guest: string };
    resources: { requests: Quantities; limits: Quantities };
    firmware?: { kernelBoot: { kernelArgs: string; container: { image: string; kernelPath: string; initrdPath: string } } };
    devices: {
      disks: { name: string; disk: { bus: 'virtio' } }[];
      interfaces: { name: string; masquerade: Record<string, never> }[];
      autoattachGraphicsDevice: boolean;
      autoattachSerialConsole: boolean;
    };
  };
  networks: { name: string; pod: Record<string, never> }[];
  volumes: VmVolume[];
}

export type RunStrategy = 'Always' | 'Halted' | 'Manual' | 'RerunOnFailure' | 'Once';

export interface VirtualMachine {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachine';
  metadata: IObjectMeta & { name: string; namespace: string };
  spec: {
    runStrategy: RunStrategy;
    dataVolumeTemplates?: DataVolumeTemplate[];
    template: { metadata: { labels: Record<string, string> }; spec: VmTemplateSpec };
  };
  status?: { printableStatus?: string; ready?: boolean; conditions?: Condition[] };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface VirtualMachineInstance {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachineInstance';
  metadata: IObjectMeta;
  status?: { phase?: string; conditions?: Condition[]; nodeName?: string };
}

export interface DataVolume {
  apiVersion: 'cdi.kubevirt.io/v1beta1';
  kind: 'DataVolume';
  metadata: IObjectMeta;
  status?: { phase?: string; progress?: string; conditions?: Condition[] };
}
