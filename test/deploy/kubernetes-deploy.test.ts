import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseLab } from '../../src/common/lab/parse.js';
import { loadConfig } from '../../src/server/config.js';
import { schemaProblems } from '../support/kube-schemas.js';
import { kustomize, strategicMerge, type KubeObject } from './kustomize.js';

/** deploy/kubernetes: every overlay renders, and every object it renders is one the API server takes. */
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const overlay = (name: string) => kustomize(path.join(root, 'deploy/kubernetes/overlays', name));

type PodSpec = {
  serviceAccountName: string;
  securityContext: { runAsNonRoot: boolean };
  containers: { image: string; envFrom: { configMapRef: { name: string } }[]; env?: { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional?: boolean } } }[]; readinessProbe: unknown; livenessProbe: unknown; resources: { requests: object }; securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean } }[];
  volumes: Record<string, unknown>[];
};
type Deployment = KubeObject & { spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

function find<T extends KubeObject>(objects: KubeObject[], kind: string, prefix = 'labhub'): T {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name.startsWith(prefix));
  assert.equal(found.length, 1, `one ${kind} ${prefix}*`);
  return found[0] as T;
}

for (const name of ['single', 'ha']) {
  describe(`deploy/kubernetes/overlays/${name}`, () => {
    const objects = overlay(name);

    test('every object validates against the upstream schema and lives in the labhub namespace', () => {
      for (const object of objects) {
        assert.deepEqual(schemaProblems(object), [], `${object.kind} ${object.metadata.name}`);
        if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind)) assert.equal(object.metadata.namespace, 'labhub', `${object.kind} ${object.metadata.name}`);
      }
    });

    test('the Deployment: probes, resources, non-root, and every reference resolves', () => {
      const deployment = find<Deployment>(objects, 'Deployment');
      const pod = deployment.spec.template.spec;
      // Every lab's NetworkPolicy admits labhub by this label (src/server/runtime/kubernetes/builders/settings.ts).
      assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/name'], 'labhub');
      assert.equal(pod.securityContext.runAsNonRoot, true);
      const [container] = pod.containers;
      assert.ok(container?.readinessProbe && container.livenessProbe && container.resources.requests);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.image, 'registry.example.org/labhub/labhub:0.1.0');
      assert.equal(find(objects, 'ServiceAccount').metadata.name, pod.serviceAccountName);
      for (const volume of pod.volumes) {
        const sources = Object.keys(volume).filter((key) => key !== 'name');
        assert.equal(sources.length, 1, `volume ${String(volume.name)} has exactly one source: ${sources.join(', ')}`);
        const configMap = (volume.configMap as { name?: string } | undefined)?.name;
        if (configMap) assert.ok(objects.some((object) => object.kind === 'ConfigMap' && object.metadata.name === configMap), configMap);
        const claim = (volume.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
        if (claim) assert.ok(objects.some((object) => object.kind === 'PersistentVolumeClaim' && object.metadata.name === claim), claim);
      }
      const config = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === container.envFrom[0]?.configMapRef.name) as (KubeObject & { data: Record<string, string> }) | undefined;
      assert.ok(config, 'the settings ConfigMap exists');
      // The settings are ones labhub accepts.
      const settings = loadConfig(config.data, '/');
      assert.equal(settings.runtime, 'kubernetes');
      assert.equal(settings.kubeImageRegistry, 'registry.example.org/labhub');
      // Behind the Ingress: its X-Forwarded-For names the client (login limits, audit).
      assert.equal(settings.trustProxy, 1);
      // Prometheus's token comes from an optional Secret: without it, /metrics is for admins only.
      assert.deepEqual(container.env?.find((variable) => variable.name === 'LABHUB_METRICS_TOKEN'), {
        name: 'LABHUB_METRICS_TOKEN',
        valueFrom: { secretKeyRef: { name: 'labhub-metrics', key: 'token', optional: true } },
      });
      const labs = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('labhub-labs-')) as (KubeObject & { data: Record<string, string> }) | undefined;
      for (const [file, text] of Object.entries(labs?.data ?? {})) assert.equal(parseLab(text, file).ok, true, file);
    });

    test('the ServiceAccount is bound to the least-privilege ClusterRole', () => {
      const binding = find<KubeObject & { roleRef: { name: string }; subjects: { kind: string; name: string; namespace: string }[] }>(objects, 'ClusterRoleBinding');
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'labhub', namespace: 'labhub' }]);
      const role = find<KubeObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(objects, 'ClusterRole');
      assert.equal(binding.roleRef.name, role.metadata.name);
      const granted = new Set(role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))));
      const needed = [
        '/namespaces:create', '/namespaces:delete', '/namespaces:watch', '/pods:create', '/pods:delete', '/pods:watch', '/pods/exec:get', '/pods/exec:create', '/pods/portforward:get',
        '/services:create', '/persistentvolumeclaims:create', '/persistentvolumeclaims:delete', '/secrets:create', '/secrets:get', '/resourcequotas:create', '/limitranges:create', '/nodes:get', 'networking.k8s.io/networkpolicies:create',
        'kubevirt.io/virtualmachines:create', 'kubevirt.io/virtualmachines:patch', 'kubevirt.io/virtualmachines:watch', 'kubevirt.io/virtualmachineinstances:watch',
        'subresources.kubevirt.io/virtualmachineinstances/console:get', 'subresources.kubevirt.io/virtualmachineinstances/vnc:get', 'subresources.kubevirt.io/virtualmachineinstances/portforward:get',
        'subresources.kubevirt.io/virtualmachineinstances/pause:update', 'subresources.kubevirt.io/virtualmachineinstances/unpause:update', 'cdi.kubevirt.io/datavolumes:watch', 'cdi.kubevirt.io/datavolumes:delete',
      ];
      for (const permission of needed) assert.ok(granted.has(permission), permission);
      assert.ok(![...granted].some((permission) => permission.includes('*')), 'no wildcards');
      assert.ok(![...granted].some((permission) => permission.startsWith('/secrets:list') || permission.startsWith('/secrets:watch')), 'labhub never lists secrets');
    });

    test('the Ingress keeps WebSockets open and a browser on one replica', () => {
      const ingress = find<KubeObject & { spec: { tls: unknown[]; rules: { host: string }[] } }>(objects, 'Ingress');
      const annotations = ingress.metadata.annotations ?? {};
      assert.equal(annotations['nginx.ingress.kubernetes.io/affinity'], 'cookie');
      assert.ok(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 3600);
      assert.deepEqual(ingress.spec.rules.map((rule) => rule.host), ['labhub.example.org', '*.apps.example-labs.net']);
      assert.equal(ingress.spec.tls.length, 1);
    });
  });
}

test('single: one replica, replaced (not rolled) because SQLite sits on a ReadWriteOnce claim', () => {
  const deployment = find<Deployment & { spec: { strategy: { type: string } } }>(overlay('single'), 'Deployment');
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(deployment.spec.strategy.type, 'Recreate');
  assert.deepEqual(deployment.spec.template.spec.volumes.find((volume) => volume.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'labhub-data' } });
});

test('ha: several replicas, PostgreSQL from a Secret, a disruption budget', () => {
  const objects = overlay('ha');
  const deployment = find<Deployment>(objects, 'Deployment');
  assert.ok(deployment.spec.replicas >= 2);
  assert.deepEqual(deployment.spec.template.spec.containers[0]?.env?.find((variable) => variable.name === 'LABHUB_DATABASE_URL'), { name: 'LABHUB_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'labhub-database', key: 'url' } } });
  assert.deepEqual(deployment.spec.template.spec.volumes.find((volume) => volume.name === 'data'), { name: 'data', emptyDir: {} });
  find(objects, 'PodDisruptionBudget');
});

test('the renderer: strategic merge by name, null deletes, other lists are replaced', () => {
  assert.deepEqual(
    strategicMerge({ a: 1, list: [{ name: 'x', v: 1 }, { name: 'y' }], plain: [1, 2], drop: { k: 1 } }, { list: [{ name: 'x', v: 2 }, { name: 'z' }], plain: [3], drop: null }),
    { a: 1, list: [{ name: 'x', v: 2 }, { name: 'y' }, { name: 'z' }], plain: [3] },
  );
  assert.throws(() => kustomize(path.join(root, 'test/deploy')), /kustomization\.yaml/);
});

test('the Containerfile builds labhub as a non-root user in stages', () => {
  const containerfile = readFileSync(path.join(root, 'Containerfile'), 'utf8');
  assert.ok((containerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(containerfile, /^USER 10001/m);
  assert.match(containerfile, /^EXPOSE 8080/m);
});
