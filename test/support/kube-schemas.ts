/**
 * Validates Kubernetes objects the way an API server would before storing them: KubeVirt and CDI
 * kinds against KubeVirt's OpenAPI document (test/reference/kubevirt-openapi.json), strictly
 * (unknown fields rejected, as the API server's strict field validation does); core kinds with
 * the upstream schemas shipped by `kubernetes-models`. Returns the problems, empty when valid.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Namespace, Pod, Secret, Service, ResourceQuota, LimitRange, ServiceAccount, ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { NetworkPolicy, Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const kubevirtOpenApiPath = path.resolve(root, 'test/reference/kubevirt-openapi.json');

type Schema = Record<string, unknown>;

/** Every object schema with properties gets `additionalProperties: false` (unless it says otherwise). */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const result: Schema = {};
  for (const [key, value] of Object.entries(schema)) result[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([name, property]) => [name, strict(property)])) : strict(value);
  if (result.properties && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

let kubevirtAjv: Ajv | undefined;
const kubevirtValidators = new Map<string, ValidateFunction>();

function kubevirtValidator(definition: string): ValidateFunction {
  if (!kubevirtAjv) {
    const document = JSON.parse(readFileSync(kubevirtOpenApiPath, 'utf8')) as { definitions: Schema };
    kubevirtAjv = new Ajv({ strict: false, allErrors: true });
    // Swagger's numeric and string formats: the types are checked, the formats are not.
    for (const format of ['int32', 'int64', 'double', 'float', 'byte', 'date-time', 'int-or-string', 'uri']) kubevirtAjv.addFormat(format, true);
    kubevirtAjv.addSchema({ $id: 'kubevirt', definitions: strict(document.definitions) });
  }
  let validate = kubevirtValidators.get(definition);
  if (!validate) kubevirtValidators.set(definition, (validate = kubevirtAjv.compile({ $ref: `kubevirt#/definitions/${definition}` })));
  return validate;
}

const kubevirtDefinitions: Record<string, string> = {
  'kubevirt.io/v1/VirtualMachine': 'v1.VirtualMachine',
  'kubevirt.io/v1/VirtualMachineInstance': 'v1.VirtualMachineInstance',
};

const coreModels: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ResourceQuota': ResourceQuota,
  'v1/LimitRange': LimitRange,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

/** The problems the API server would report for `object`; an unknown kind is one too. */
export function schemaProblems(object: { apiVersion?: unknown; kind?: unknown }): string[] {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const definition = kubevirtDefinitions[key];
  if (definition) {
    const validate = kubevirtValidator(definition);
    if (validate(object)) return [];
    return (validate.errors ?? []).map((error) => `${key}${error.instancePath} ${error.message ?? ''}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`);
  }
  const Model = coreModels[key];
  if (!Model) return [`${key}: no schema known for this kind`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [`${key}: ${(error as Error).message}`];
  }
}
