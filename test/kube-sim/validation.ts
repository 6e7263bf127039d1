import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { KubeObject, ResourceType, StatusCause } from './resources.js';

/**
 * What the real API server refuses, as causes with field paths (`spec.containers[0].name`):
 * - KubeVirt and CDI kinds against the reference OpenAPI document, made strict: every object
 *   schema that lists its properties refuses others (a real cluster prunes them or, with
 *   fieldValidation=Strict, refuses them; kube-sim always refuses, so mistakes show).
 * - Core kinds against the upstream schemas of `kubernetes-models` (types, required fields,
 *   enums). Those validators let unknown fields through, so kube-sim adds the strictness itself
 *   from @kubernetes/client-node's generated models (each knows its fields).
 * - The API server's own rules that no schema says: name syntax, label and annotation syntax,
 *   quantities, ports, and the rules of each kind kube-sim serves (below).
 * Each schema is compiled once, on first use; the client models are loaded by loadSchemas().
 */

const openApiPath = process.env.KUBE_SIM_OPENAPI ?? new URL('../../test/reference/kubevirt-openapi.json', import.meta.url).pathname;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const quantity = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const configKey = /^[-._a-zA-Z0-9]+$/;

export const cause = {
  required: (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field }),
  unsupported: (field: string, value: unknown, supported: string[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    field,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(value)}`, field }),
  forbidden: (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }),
  unknown: (field: string, name: string): StatusCause => ({ reason: 'FieldValueInvalid', message: `unknown field "${name}"`, field }),
};

export function labelError(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!dns1123Label.test(value)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}

export function dns1035Error(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}

export function subdomainError(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!dns1123Subdomain.test(value)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return undefined;
}

function qualifiedNameErrors(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'";
  const [prefix, name] = parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : ['', parts[0] ?? ''];
  if (parts.length === 2 && (prefix === '' || subdomainError(prefix))) return `prefix part ${prefix === '' ? 'must be non-empty' : subdomainError(prefix)}`;
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!qualifiedNamePart.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [cause.invalid(field, labels, 'must be an object of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyError = qualifiedNameErrors(key);
    if (keyError) causes.push(cause.invalid(field, key, keyError));
    if (typeof value !== 'string') causes.push(cause.invalid(`${field}[${key}]`, value, 'must be a string'));
    else if (value.length > 63) causes.push(cause.invalid(field, value, 'must be no more than 63 characters'));
    else if (!labelValue.test(value)) {
      causes.push(
        cause.invalid(
          field,
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return causes;
}

function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null || typeof annotations !== 'object') return [];
  const causes: StatusCause[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const keyError = qualifiedNameErrors(key.toLowerCase());
    if (keyError) causes.push(cause.invalid(field, key, keyError));
    total += key.length + String(value).length;
  }
  if (total > 256 * 1024) causes.push({ reason: 'FieldValueTooLong', message: `Too long: must have at most ${256 * 1024} bytes`, field });
  return causes;
}

/** metadata of any object, and of templates inside objects (`spec.template.metadata`). */
export function validateMetadata(metadata: Record<string, unknown> | undefined, field: string, nameRule: 'label' | 'dns1035' | 'subdomain' | 'none'): StatusCause[] {
  if (!metadata) return nameRule === 'none' ? [] : [cause.required(`${field}.name`)];
  const causes: StatusCause[] = [];
  if (nameRule !== 'none') {
    const name = metadata.name;
    if (typeof name !== 'string' || name === '') causes.push(cause.required(`${field}.name`));
    else {
      const error = nameRule === 'label' ? labelError(name) : nameRule === 'dns1035' ? dns1035Error(name) : subdomainError(name);
      if (error) causes.push(cause.invalid(`${field}.name`, name, error));
    }
  }
  causes.push(...validateLabels(metadata.labels, `${field}.labels`));
  causes.push(...validateAnnotations(metadata.annotations, `${field}.annotations`));
  return causes;
}

function checkQuantities(values: unknown, field: string): StatusCause[] {
  if (!values || typeof values !== 'object') return [];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' || !quantity.test(value)) {
      causes.push(cause.invalid(`${field}[${key}]`, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    }
  }
  return causes;
}

/** A quantity in bytes or cores (kube-sim needs memory and cpu of Pods and VMs); undefined when absent. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/.exec(value);
  if (!match) return undefined;
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const decimal: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  if (suffix in binary) return number * (binary[suffix] ?? 1);
  if (suffix in decimal) return number * (decimal[suffix] ?? 1);
  return number * 10 ** Number(suffix.slice(1));
}

/** JSON-pointer-ish ajv paths as the API's field paths: `/spec/containers/0/name` → `spec.containers[0].name`. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function schemaCauses(errors: ErrorObject[] | null | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let next: StatusCause;
    const field = fieldPath(error.instancePath);
    if (error.keyword === 'additionalProperties') {
      const name = String((error.params as { additionalProperty: string }).additionalProperty);
      next = cause.unknown(field ? `${field}.${name}` : name, name);
    } else if (error.keyword === 'required') {
      const name = String((error.params as { missingProperty: string }).missingProperty);
      next = cause.required(field ? `${field}.${name}` : name);
    } else if (error.keyword === 'enum') {
      next = cause.unsupported(field, undefined, ((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String));
    } else {
      next = cause.invalid(field, undefined, error.message ?? error.keyword);
      next.message = `Invalid value: ${error.message ?? error.keyword}`;
    }
    const key = `${next.field}|${next.message}`;
    if (!seen.has(key)) causes.push(next), seen.add(key);
  }
  return causes;
}

// ---- KubeVirt and CDI: the reference document, strict ----

interface OpenApiDocument {
  definitions: Record<string, Record<string, unknown>>;
}

/** Every object schema that lists properties refuses others; quantities and int-or-strings take what the API server takes. */
function strictDefinitions(definitions: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) copy[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([name, schema]) => [name, visit(schema)])) : visit(value);
    if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) copy.additionalProperties = false;
    return copy;
  };
  const strict = visit(definitions) as Record<string, Record<string, unknown>>;
  strict['k8s.io.apimachinery.pkg.api.resource.Quantity'] = { anyOf: [{ type: 'string', pattern: quantity.source }, { type: 'number' }] };
  strict['k8s.io.apimachinery.pkg.util.intstr.IntOrString'] = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
  // CDI's DataVolume has no top-level definition in the document, only its spec: the kind is put together like the others.
  strict['v1beta1.DataVolume'] = {
    type: 'object',
    required: ['spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: '#/definitions/k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: { $ref: '#/definitions/v1beta1.DataVolumeSpec' },
      status: { type: 'object' },
    },
  };
  return strict;
}

const customDefinitions: Record<string, string> = {
  VirtualMachine: 'v1.VirtualMachine',
  VirtualMachineInstance: 'v1.VirtualMachineInstance',
  DataVolume: 'v1beta1.DataVolume',
};
let kubevirtAjv: Ajv | undefined;
const customValidators = new Map<string, ValidateFunction>();

/** The strict validator of a KubeVirt or CDI kind, compiled on its first use (about a second for the VM's schema). */
function customValidator(kind: string): ValidateFunction | undefined {
  const definition = customDefinitions[kind];
  if (!definition) return undefined;
  let validate = customValidators.get(kind);
  if (!validate) {
    if (!kubevirtAjv) {
      const document = JSON.parse(readFileSync(openApiPath, 'utf8')) as OpenApiDocument;
      kubevirtAjv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
      kubevirtAjv.addSchema({ $id: 'kubevirt', definitions: strictDefinitions(document.definitions) });
    }
    validate = kubevirtAjv.compile({ $ref: `kubevirt#/definitions/${definition}` });
    customValidators.set(kind, validate);
  }
  return validate;
}

// ---- Core kinds: kubernetes-models, plus unknown fields from client-node's models ----

type ModelClass = new (data: object) => { validate(): void };
const coreModels: Record<string, { model: ModelClass; clientType: string }> = {
  Namespace: { model: Namespace as unknown as ModelClass, clientType: 'V1Namespace' },
  Pod: { model: Pod as unknown as ModelClass, clientType: 'V1Pod' },
  Service: { model: Service as unknown as ModelClass, clientType: 'V1Service' },
  Secret: { model: Secret as unknown as ModelClass, clientType: 'V1Secret' },
  ResourceQuota: { model: ResourceQuota as unknown as ModelClass, clientType: 'V1ResourceQuota' },
  LimitRange: { model: LimitRange as unknown as ModelClass, clientType: 'V1LimitRange' },
  NetworkPolicy: { model: NetworkPolicy as unknown as ModelClass, clientType: 'V1NetworkPolicy' },
  PersistentVolumeClaim: { model: PersistentVolumeClaim as unknown as ModelClass, clientType: 'V1PersistentVolumeClaim' },
};

interface AttributeType {
  baseName: string;
  type: string;
}

/** Fields of each client model type that core kinds use, loaded by loadSchemas(). */
const clientTypes = new Map<string, AttributeType[]>();
let loading: Promise<void> | undefined;

function attributesOf(typeName: string): AttributeType[] | undefined {
  return clientTypes.get(typeName);
}

function referencedTypes(typeName: string): string[] {
  const inner = /^Array<(.+)>$/.exec(typeName)?.[1] ?? /^\{ \[key: string\]: (.+); \}$/.exec(typeName)?.[1];
  if (inner) return referencedTypes(inner);
  return /^[A-Z]\w+$/.test(typeName) && !['Date', 'IntOrString'].includes(typeName) ? [typeName] : [];
}

/**
 * Loads the generated models of @kubernetes/client-node that the core kinds reach, one file each
 * (all of them at once take over a second). Called once by startKubeSim().
 */
export function loadSchemas(): Promise<void> {
  loading ??= (async () => {
    let next = Object.values(coreModels).map((entry) => entry.clientType);
    while (next.length > 0) {
      const batch = next.filter((name) => !clientTypes.has(name));
      next = [];
      const modules = await Promise.all(batch.map((name) => import(`@kubernetes/client-node/dist/gen/models/${name}.js`) as Promise<Record<string, { getAttributeTypeMap(): AttributeType[] }>>));
      batch.forEach((name, index) => {
        const attributes = modules[index]?.[name]?.getAttributeTypeMap() ?? [];
        clientTypes.set(name, attributes);
        for (const attribute of attributes) next.push(...referencedTypes(attribute.type));
      });
    }
  })();
  return loading;
}

/** Fields the generated models of @kubernetes/client-node do not know, anywhere in `value` of type `typeName`. */
function unknownFields(value: unknown, typeName: string, field: string, causes: StatusCause[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, index) => unknownFields(item, array[1] ?? '', `${field}[${index}]`, causes));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (map) {
    if (typeof value === 'object') for (const [key, item] of Object.entries(value)) unknownFields(item, map[1] ?? '', `${field}[${key}]`, causes);
    return;
  }
  const attributes = attributesOf(typeName);
  if (!attributes || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, item] of Object.entries(value)) {
    const attribute = attributes.find((candidate) => candidate.baseName === key);
    const path = field ? `${field}.${key}` : key;
    if (!attribute) causes.push(cause.unknown(path, key));
    else unknownFields(item, attribute.type, path, causes);
  }
}

function coreSchemaCauses(kind: string, object: KubeObject): StatusCause[] {
  const entry = coreModels[kind];
  if (!entry) return [];
  const causes: StatusCause[] = [];
  try {
    new entry.model(object).validate();
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!errors) throw error;
    causes.push(...schemaCauses(errors));
  }
  unknownFields(object, entry.clientType, '', causes);
  return causes;
}

// ---- Rules of each kind (the API server's validation, the parts labhub's objects touch) ----

const asRecord = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function validPort(value: unknown, field: string, causes: StatusCause[]): void {
  if (typeof value === 'number' && (!Number.isInteger(value) || value < 1 || value > 65535)) causes.push(cause.invalid(field, value, 'must be between 1 and 65535, inclusive'));
}

function protocol(value: unknown, field: string, causes: StatusCause[]): void {
  if (value !== undefined && !['TCP', 'UDP', 'SCTP'].includes(value as string)) causes.push(cause.unsupported(field, value, ['SCTP', 'TCP', 'UDP']));
}

function podSpecRules(spec: Record<string, unknown>, field: string, causes: StatusCause[]): void {
  const containers = asArray(spec.containers);
  if (containers.length === 0) causes.push(cause.required(`${field}.containers`));
  const names = new Set<string>();
  containers.forEach((raw, index) => {
    const container = asRecord(raw);
    const at = `${field}.containers[${index}]`;
    const name = container.name;
    if (typeof name !== 'string' || !name) causes.push(cause.required(`${at}.name`));
    else {
      const error = labelError(name);
      if (error) causes.push(cause.invalid(`${at}.name`, name, error));
      if (names.has(name)) causes.push(cause.duplicate(`${at}.name`, name));
      names.add(name);
    }
    if (typeof container.image !== 'string' || !container.image.trim()) causes.push(cause.required(`${at}.image`));
    const ports = new Set<string>();
    asArray(container.ports).forEach((rawPort, portIndex) => {
      const port = asRecord(rawPort);
      const portAt = `${at}.ports[${portIndex}]`;
      if (port.containerPort === undefined) causes.push(cause.required(`${portAt}.containerPort`));
      validPort(port.containerPort, `${portAt}.containerPort`, causes);
      protocol(port.protocol, `${portAt}.protocol`, causes);
      if (typeof port.name === 'string' && (port.name.length > 15 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(port.name) || !/[a-z]/.test(port.name))) {
        causes.push(cause.invalid(`${portAt}.name`, port.name, 'must be no more than 15 characters, contain only lower-case letters, digits and "-", and at least one letter'));
      }
      const key = `${String(port.containerPort)}/${String(port.protocol ?? 'TCP')}`;
      if (ports.has(key)) causes.push(cause.duplicate(`${portAt}`, key));
      ports.add(key);
    });
    const resources = asRecord(container.resources);
    causes.push(...checkQuantities(resources.limits, `${at}.resources.limits`), ...checkQuantities(resources.requests, `${at}.resources.requests`));
    for (const [resource, request] of Object.entries(asRecord(resources.requests))) {
      const limit = asRecord(resources.limits)[resource];
      const [r, l] = [parseQuantity(request), parseQuantity(limit)];
      if (r !== undefined && l !== undefined && r > l) causes.push(cause.invalid(`${at}.resources.requests[${resource}]`, request, `must be less than or equal to ${resource} limit of ${String(limit)}`));
    }
    asArray(container.volumeMounts).forEach((rawMount, mountIndex) => {
      const mount = asRecord(rawMount);
      const volumeNames = asArray(spec.volumes).map((volume) => asRecord(volume).name);
      if (!volumeNames.includes(mount.name)) causes.push({ reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(mount.name)}`, field: `${at}.volumeMounts[${mountIndex}].name` });
      if (typeof mount.mountPath !== 'string' || !mount.mountPath) causes.push(cause.required(`${at}.volumeMounts[${mountIndex}].mountPath`));
    });
    asArray(container.env).forEach((rawEnv, envIndex) => {
      const env = asRecord(rawEnv);
      if (typeof env.name !== 'string' || !env.name) causes.push(cause.required(`${at}.env[${envIndex}].name`));
    });
  });
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy as string)) causes.push(cause.unsupported(`${field}.restartPolicy`, spec.restartPolicy, ['Always', 'Never', 'OnFailure']));
  if (typeof spec.hostname === 'string') {
    const error = labelError(spec.hostname);
    if (error) causes.push(cause.invalid(`${field}.hostname`, spec.hostname, error));
  }
  if (typeof spec.subdomain === 'string') {
    const error = labelError(spec.subdomain);
    if (error) causes.push(cause.invalid(`${field}.subdomain`, spec.subdomain, error));
  }
  const volumes = new Set<string>();
  asArray(spec.volumes).forEach((raw, index) => {
    const name = asRecord(raw).name;
    if (typeof name === 'string') {
      if (volumes.has(name)) causes.push(cause.duplicate(`${field}.volumes[${index}].name`, name));
      volumes.add(name);
    }
  });
}

function serviceRules(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const headless = spec.clusterIP === 'None';
  const ports = asArray(spec.ports);
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type as string)) causes.push(cause.unsupported('spec.type', type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']));
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(cause.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((raw, index) => {
    const port = asRecord(raw);
    const at = `spec.ports[${index}]`;
    if (port.port === undefined) causes.push(cause.required(`${at}.port`));
    validPort(port.port, `${at}.port`, causes);
    if (typeof port.targetPort === 'number') validPort(port.targetPort, `${at}.targetPort`, causes);
    protocol(port.protocol, `${at}.protocol`, causes);
    if (ports.length > 1 && !port.name) causes.push(cause.required(`${at}.name`));
    if (typeof port.name === 'string') {
      if (names.has(port.name)) causes.push(cause.duplicate(`${at}.name`, port.name));
      names.add(port.name);
    }
  });
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
}

function labelSelectorRules(selector: unknown, field: string, causes: StatusCause[]): void {
  const value = asRecord(selector);
  causes.push(...validateLabels(value.matchLabels, `${field}.matchLabels`));
  asArray(value.matchExpressions).forEach((raw, index) => {
    const expression = asRecord(raw);
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(expression.operator as string)) {
      causes.push(cause.unsupported(`${field}.matchExpressions[${index}].operator`, expression.operator, ['DoesNotExist', 'Exists', 'In', 'NotIn']));
    }
  });
}

function networkPolicyRules(spec: Record<string, unknown>, causes: StatusCause[]): void {
  labelSelectorRules(spec.podSelector, 'spec.podSelector', causes);
  asArray(spec.policyTypes).forEach((type, index) => {
    if (!['Ingress', 'Egress'].includes(type as string)) causes.push(cause.unsupported(`spec.policyTypes[${index}]`, type, ['Egress', 'Ingress']));
  });
  for (const direction of ['ingress', 'egress'] as const) {
    asArray(spec[direction]).forEach((raw, index) => {
      const rule = asRecord(raw);
      asArray(rule.ports).forEach((rawPort, portIndex) => {
        const port = asRecord(rawPort);
        protocol(port.protocol, `spec.${direction}[${index}].ports[${portIndex}].protocol`, causes);
        if (typeof port.port === 'number') validPort(port.port, `spec.${direction}[${index}].ports[${portIndex}].port`, causes);
      });
      asArray(rule[direction === 'ingress' ? 'from' : 'to']).forEach((rawPeer, peerIndex) => {
        const peer = asRecord(rawPeer);
        const at = `spec.${direction}[${index}].${direction === 'ingress' ? 'from' : 'to'}[${peerIndex}]`;
        if (peer.podSelector) labelSelectorRules(peer.podSelector, `${at}.podSelector`, causes);
        if (peer.namespaceSelector) labelSelectorRules(peer.namespaceSelector, `${at}.namespaceSelector`, causes);
        if (peer.ipBlock && typeof asRecord(peer.ipBlock).cidr === 'string' && !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(asRecord(peer.ipBlock).cidr as string)) {
          causes.push(cause.invalid(`${at}.ipBlock.cidr`, asRecord(peer.ipBlock).cidr, 'must be a valid CIDR'));
        }
      });
    });
  }
}

function secretRules(object: KubeObject, causes: StatusCause[]): void {
  let size = 0;
  for (const [key, value] of Object.entries(asRecord(object.data))) {
    if (!configKey.test(key)) causes.push(cause.invalid(`data[${key}]`, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) causes.push(cause.invalid(`data[${key}]`, '<value>', 'must be base64-encoded'));
    else size += Buffer.from(value, 'base64').length;
  }
  for (const [key, value] of Object.entries(asRecord(object.stringData))) {
    if (!configKey.test(key)) causes.push(cause.invalid(`stringData[${key}]`, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
    size += String(value).length;
  }
  if (size > 1024 * 1024) causes.push({ reason: 'FieldValueTooLong', message: 'Too long: must have at most 1048576 bytes', field: 'data' });
}

function quotaRules(spec: Record<string, unknown>, causes: StatusCause[]): void {
  causes.push(...checkQuantities(spec.hard, 'spec.hard'));
}

function limitRangeRules(spec: Record<string, unknown>, causes: StatusCause[]): void {
  asArray(spec.limits).forEach((raw, index) => {
    const limit = asRecord(raw);
    const at = `spec.limits[${index}]`;
    if (!['Pod', 'Container', 'PersistentVolumeClaim'].includes(limit.type as string)) causes.push(cause.unsupported(`${at}.type`, limit.type, ['Container', 'PersistentVolumeClaim', 'Pod']));
    for (const key of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) causes.push(...checkQuantities(limit[key], `${at}.${key}`));
  });
}

const accessModes = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];

function claimRules(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const modes = asArray(spec.accessModes);
  if (modes.length === 0) causes.push(cause.required('spec.accessModes'));
  modes.forEach((mode, index) => {
    if (!accessModes.includes(mode as string)) causes.push(cause.unsupported(`spec.accessModes[${index}]`, mode, accessModes));
  });
  const resources = asRecord(spec.resources);
  causes.push(...checkQuantities(resources.requests, 'spec.resources.requests'), ...checkQuantities(resources.limits, 'spec.resources.limits'));
  if (spec.dataSource === undefined && spec.dataSourceRef === undefined && asRecord(resources.requests).storage === undefined) causes.push(cause.required('spec.resources[storage]'));
  if (spec.volumeMode !== undefined && !['Filesystem', 'Block'].includes(spec.volumeMode as string)) causes.push(cause.unsupported('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
}

const runStrategies = ['Always', 'RerunOnFailure', 'Halted', 'Manual', 'Once', 'WaitAsReceiver'];

/** KubeVirt's admission webhook rules for a VMI spec: the parts a lab's VM touches. */
function vmiSpecRules(spec: Record<string, unknown>, field: string, causes: StatusCause[]): void {
  const domain = asRecord(spec.domain);
  const devices = asRecord(domain.devices);
  const resources = asRecord(domain.resources);
  causes.push(...checkQuantities(resources.requests, `${field}.domain.resources.requests`), ...checkQuantities(resources.limits, `${field}.domain.resources.limits`));
  if (asRecord(resources.requests).memory === undefined && asRecord(resources.limits).memory === undefined && asRecord(domain.memory).guest === undefined) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: no memory requested, at least one of domain.memory.guest, domain.resources.requests.memory or domain.resources.limits.memory must be set', field: `${field}.domain.resources.requests.memory` });
  }
  const volumes = new Map<string, Record<string, unknown>>();
  asArray(spec.volumes).forEach((raw, index) => {
    const volume = asRecord(raw);
    const name = volume.name as string;
    const at = `${field}.volumes[${index}]`;
    if (volumes.has(name)) causes.push(cause.duplicate(`${at}.name`, name));
    volumes.set(name, volume);
    const sources = Object.keys(volume).filter((key) => key !== 'name');
    if (sources.length !== 1) causes.push(cause.invalid(at, sources, 'must have exactly one volume source'));
    const containerDisk = asRecord(volume.containerDisk);
    if (volume.containerDisk !== undefined && !containerDisk.image) causes.push(cause.required(`${at}.containerDisk.image`));
    const dataVolume = asRecord(volume.dataVolume);
    if (volume.dataVolume !== undefined && !dataVolume.name) causes.push(cause.required(`${at}.dataVolume.name`));
  });
  const disks = new Set<string>();
  asArray(devices.disks).forEach((raw, index) => {
    const name = asRecord(raw).name as string;
    const at = `${field}.domain.devices.disks[${index}]`;
    if (disks.has(name)) causes.push(cause.duplicate(`${at}.name`, name));
    disks.add(name);
    if (!volumes.has(name)) causes.push(cause.invalid(`${at}.name`, name, 'the disk has no matching volume'));
  });
  const networks = new Set(asArray(spec.networks).map((raw) => asRecord(raw).name as string));
  asArray(devices.interfaces).forEach((raw, index) => {
    const name = asRecord(raw).name as string;
    if (!networks.has(name)) causes.push(cause.invalid(`${field}.domain.devices.interfaces[${index}].name`, name, 'the interface has no matching network'));
  });
  if (typeof spec.hostname === 'string') {
    const error = labelError(spec.hostname);
    if (error) causes.push(cause.invalid(`${field}.hostname`, spec.hostname, error));
  }
}

function virtualMachineRules(object: KubeObject, causes: StatusCause[]): void {
  const spec = asRecord(object.spec);
  if (spec.running !== undefined && spec.runStrategy !== undefined) causes.push(cause.invalid('spec.running', spec.running, 'running and runStrategy are mutually exclusive'));
  if (spec.runStrategy !== undefined && !runStrategies.includes(spec.runStrategy as string)) causes.push(cause.unsupported('spec.runStrategy', spec.runStrategy, runStrategies));
  const template = asRecord(spec.template);
  if (spec.template === undefined) causes.push(cause.required('spec.template'));
  causes.push(...validateMetadata(asRecord(template.metadata), 'spec.template.metadata', 'none'));
  asArray(spec.dataVolumeTemplates).forEach((raw, index) => {
    const dv = asRecord(raw);
    const at = `spec.dataVolumeTemplates[${index}]`;
    causes.push(...validateMetadata(asRecord(dv.metadata), `${at}.metadata`, 'subdomain'));
    dataVolumeSpecRules(asRecord(dv.spec), `${at}.spec`, causes);
  });
  vmiSpecRules(asRecord(template.spec), 'spec.template.spec', causes);
}

function dataVolumeSpecRules(spec: Record<string, unknown>, field: string, causes: StatusCause[]): void {
  const source = asRecord(spec.source);
  const kinds = Object.keys(source);
  if (kinds.length === 0 && spec.sourceRef === undefined) causes.push(cause.required(`${field}.source`));
  if (kinds.length > 1) causes.push(cause.invalid(`${field}.source`, kinds, 'must have exactly one source'));
  if (spec.pvc === undefined && spec.storage === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value: one of pvc or storage must be set', field: `${field}.storage` });
  const storage = asRecord(spec.storage ?? spec.pvc);
  causes.push(...checkQuantities(asRecord(storage.resources).requests, `${field}.${spec.storage ? 'storage' : 'pvc'}.resources.requests`));
  const registry = asRecord(source.registry);
  if (source.registry !== undefined) {
    const url = registry.url;
    if (typeof url !== 'string' || !/^(docker|oci-archive):\/\/\S+$/.test(url)) causes.push(cause.invalid(`${field}.source.registry.url`, url, 'must start with docker:// or oci-archive://'));
  }
  const http = asRecord(source.http);
  if (source.http !== undefined && (typeof http.url !== 'string' || !/^https?:\/\/\S+$/.test(http.url))) causes.push(cause.invalid(`${field}.source.http.url`, http.url, 'must be an http(s) URL'));
  const pvc = asRecord(source.pvc);
  if (source.pvc !== undefined && (typeof pvc.name !== 'string' || !pvc.name)) causes.push(cause.required(`${field}.source.pvc.name`));
}

/** Every rule for one object of `type` (already of the right apiVersion and kind). */
export function validateObject(type: ResourceType, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const custom = customValidator(type.kind);
  if (custom) {
    if (!custom(object)) causes.push(...schemaCauses(custom.errors));
  } else {
    causes.push(...coreSchemaCauses(type.kind, object));
  }
  causes.push(...validateMetadata(object.metadata as Record<string, unknown>, 'metadata', object.metadata?.generateName && !object.metadata.name ? 'none' : type.nameRule));
  const spec = asRecord(object.spec);
  switch (type.kind) {
    case 'Pod':
      podSpecRules(spec, 'spec', causes);
      break;
    case 'Service':
      serviceRules(spec, causes);
      break;
    case 'Secret':
      secretRules(object, causes);
      break;
    case 'NetworkPolicy':
      networkPolicyRules(spec, causes);
      break;
    case 'ResourceQuota':
      quotaRules(spec, causes);
      break;
    case 'LimitRange':
      limitRangeRules(spec, causes);
      break;
    case 'PersistentVolumeClaim':
      claimRules(spec, causes);
      break;
    case 'VirtualMachine':
      virtualMachineRules(object, causes);
      break;
    case 'VirtualMachineInstance':
      vmiSpecRules(spec, 'spec', causes);
      break;
    case 'DataVolume':
      dataVolumeSpecRules(spec, 'spec', causes);
      break;
  }
  return causes;
}
