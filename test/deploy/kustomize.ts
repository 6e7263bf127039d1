/**
 * A renderer for the subset of Kustomize that deploy/kubernetes uses, so tests can check every
 * rendered object without kubectl: resources (files and directories), namespace, labels,
 * configMapGenerator and secretGenerator (literals and files; behavior create or merge; a content
 * hash suffix, with references in Pod templates renamed), patches (strategic merge: maps merge,
 * lists of named items merge by name; JSON 6902 with a target) and images. Anything else in a
 * kustomization is refused, so the deploy files cannot silently grow past what is checked here.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

interface Generated {
  kind: 'ConfigMap' | 'Secret';
  name: string;
}

interface Rendered {
  objects: KubeObject[];
  /** Generated ConfigMaps and Secrets: their names get the hash suffix at the very end. */
  generated: Set<KubeObject>;
}

const knownKeys = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images', 'configMapGenerator', 'secretGenerator', 'patches']);
const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition']);

/** Renders the kustomization in `dir` as `kubectl kustomize dir` would (for the supported subset). */
export function kustomize(dir: string): KubeObject[] {
  const rendered = render(path.resolve(dir));
  // Generated names end in a hash of their content, so a change rolls the Pods that use them.
  const renames = new Map<string, string>();
  for (const object of rendered.generated) {
    const hash = createHash('sha256').update(JSON.stringify({ kind: object.kind, data: object.data, stringData: object.stringData })).digest('hex').slice(0, 10);
    const name = `${object.metadata.name}-${hash}`;
    renames.set(`${object.kind}/${object.metadata.name}`, name);
    object.metadata.name = name;
  }
  for (const object of rendered.objects) renameReferences(object, renames);
  return rendered.objects;
}

function render(dir: string): Rendered {
  const file = path.join(dir, 'kustomization.yaml');
  const kustomization = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(kustomization)) if (!knownKeys.has(key)) throw new Error(`${file}: "${key}" is not supported by the test renderer`);
  const objects: KubeObject[] = [];
  const generated = new Set<KubeObject>();

  for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
    const target = path.resolve(dir, entry);
    if (statSync(target).isDirectory()) {
      const inner = render(target);
      objects.push(...inner.objects);
      inner.generated.forEach((object) => generated.add(object));
    } else {
      for (const document of parseAllDocuments(readFileSync(target, 'utf8'))) {
        const object = document.toJS() as KubeObject | null;
        if (object) objects.push(object);
      }
    }
  }

  for (const [kind, key] of [['ConfigMap', 'configMapGenerator'], ['Secret', 'secretGenerator']] as const) {
    for (const generator of (kustomization[key] as Record<string, unknown>[] | undefined) ?? []) {
      const data = generatorData(dir, generator);
      const name = String(generator.name);
      const behavior = (generator.behavior as string | undefined) ?? 'create';
      const existing = objects.find((object) => generated.has(object) && object.kind === kind && object.metadata.name === name);
      if (behavior === 'merge' || behavior === 'replace') {
        if (!existing) throw new Error(`${file}: ${key} ${name} has behavior ${behavior} but nothing to merge into`);
        existing.data = behavior === 'merge' ? { ...(existing.data as Record<string, string>), ...encode(kind, data) } : encode(kind, data);
        continue;
      }
      if (existing) throw new Error(`${file}: ${key} ${name} already exists (use behavior: merge)`);
      const object: KubeObject = { apiVersion: 'v1', kind, metadata: { name }, ...(kind === 'Secret' && { type: (generator.type as string | undefined) ?? 'Opaque' }), data: encode(kind, data) };
      objects.push(object);
      generated.add(object);
    }
  }

  for (const patch of (kustomization.patches as Record<string, unknown>[] | undefined) ?? []) applyPatch(dir, patch, objects);

  const namespace = kustomization.namespace as string | undefined;
  if (namespace) {
    for (const object of objects) {
      if (!clusterScoped.has(object.kind)) object.metadata.namespace = namespace;
      if (object.kind === 'ClusterRoleBinding' || object.kind === 'RoleBinding') {
        for (const subject of (object.subjects as { kind: string; namespace?: string }[] | undefined) ?? []) if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
      }
    }
  }

  for (const entry of (kustomization.labels as { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[] | undefined) ?? []) {
    if (entry.includeSelectors || entry.includeTemplates) throw new Error(`${file}: labels with includeSelectors/includeTemplates are not supported by the test renderer`);
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...entry.pairs };
  }

  for (const image of (kustomization.images as { name: string; newName?: string; newTag?: string; digest?: string }[] | undefined) ?? []) {
    for (const container of containersOf(objects)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${image.digest ? `@${image.digest}` : (image.newTag ?? tag) ? `:${image.newTag ?? tag}` : ''}`;
    }
  }
  return { objects, generated };
}

function generatorData(dir: string, generator: Record<string, unknown>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const literal of (generator.literals as string[] | undefined) ?? []) {
    const equals = literal.indexOf('=');
    data[literal.slice(0, equals)] = literal.slice(equals + 1);
  }
  for (const entry of (generator.files as string[] | undefined) ?? []) {
    const [key, file] = entry.includes('=') ? (entry.split('=', 2) as [string, string]) : [path.basename(entry), entry];
    data[key] = readFileSync(path.resolve(dir, file), 'utf8');
  }
  return data;
}

function encode(kind: 'ConfigMap' | 'Secret', data: Record<string, string>): Record<string, string> {
  return kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) : data;
}

function applyPatch(dir: string, patch: Record<string, unknown>, objects: KubeObject[]): void {
  const body = patch.path ? parseYaml(readFileSync(path.resolve(dir, String(patch.path)), 'utf8')) : parseYaml(String(patch.patch));
  const target = patch.target as { kind?: string; name?: string } | undefined;
  if (Array.isArray(body)) {
    if (!target) throw new Error('a JSON 6902 patch needs a target');
    const matches = objects.filter((object) => (!target.kind || object.kind === target.kind) && (!target.name || object.metadata.name === target.name));
    if (matches.length === 0) throw new Error(`patch target ${JSON.stringify(target)} matches nothing`);
    for (const object of matches) for (const operation of body as JsonPatchOperation[]) applyJsonPatch(object, operation);
    return;
  }
  const patchObject = body as KubeObject;
  const kind = target?.kind ?? patchObject.kind;
  const name = target?.name ?? patchObject.metadata?.name;
  const matches = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  if (matches.length === 0) throw new Error(`strategic merge patch for ${kind} ${name} matches nothing`);
  for (const object of matches) Object.assign(object, strategicMerge(object, patchObject));
}

/** Maps merge key by key; lists whose items all have a `name` merge item by item; anything else is replaced. `null` deletes. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (patch === null) return undefined;
  if (Array.isArray(base) && Array.isArray(patch) && [...base, ...patch].every((item) => item && typeof item === 'object' && 'name' in item)) {
    const result = base.map((item) => ({ ...(item as object) })) as Record<string, unknown>[];
    for (const item of patch as Record<string, unknown>[]) {
      const index = result.findIndex((existing) => existing.name === item.name);
      if (index >= 0) result[index] = strategicMerge(result[index], item) as Record<string, unknown>;
      else result.push(item);
    }
    return result;
  }
  if (isMap(base) && isMap(patch)) {
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      const merged = strategicMerge(base[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
    return result;
  }
  return patch;
}

interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

function applyJsonPatch(object: Record<string, unknown>, operation: JsonPatchOperation): void {
  const keys = operation.path.split('/').slice(1).map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`bad JSON patch path ${operation.path}`);
  let parent: unknown = object;
  for (const key of keys) {
    parent = (parent as Record<string, unknown>)[key];
    if (!parent || typeof parent !== 'object') throw new Error(`JSON patch path ${operation.path} does not exist`);
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (operation.op === 'add') parent.splice(index, 0, operation.value);
    else if (operation.op === 'replace') parent[index] = operation.value;
    else parent.splice(index, 1);
    return;
  }
  const map = parent as Record<string, unknown>;
  if (operation.op === 'remove') delete map[last];
  else if (operation.op === 'replace' && !(last in map)) throw new Error(`JSON patch replaces missing ${operation.path}`);
  else map[last] = operation.value;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

type Container = { image: string; env?: Record<string, unknown>[]; envFrom?: Record<string, unknown>[] };

function podSpecsOf(objects: KubeObject[]): Record<string, unknown>[] {
  return objects.flatMap((object) => {
    const spec = object.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
    if (object.kind === 'Pod') return [object.spec as Record<string, unknown>];
    return spec?.template?.spec ? [spec.template.spec] : [];
  });
}

function containersOf(objects: KubeObject[]): Container[] {
  return podSpecsOf(objects).flatMap((spec) => [...((spec.initContainers as Container[] | undefined) ?? []), ...((spec.containers as Container[] | undefined) ?? [])]);
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

/** Renames references to generated ConfigMaps and Secrets in Pod templates. */
function renameReferences(object: KubeObject, renames: Map<string, string>): void {
  const rename = (kind: Generated['kind'], holder: Record<string, unknown> | undefined, key: string) => {
    if (!holder) return;
    const renamed = renames.get(`${kind}/${String(holder[key])}`);
    if (renamed) holder[key] = renamed;
  };
  for (const spec of podSpecsOf([object])) {
    for (const volume of (spec.volumes as Record<string, Record<string, unknown>>[] | undefined) ?? []) {
      rename('ConfigMap', volume.configMap, 'name');
      rename('Secret', volume.secret, 'secretName');
    }
    for (const container of [...((spec.initContainers as Container[] | undefined) ?? []), ...((spec.containers as Container[] | undefined) ?? [])]) {
      for (const source of container.envFrom ?? []) {
        rename('ConfigMap', source.configMapRef as Record<string, unknown> | undefined, 'name');
        rename('Secret', source.secretRef as Record<string, unknown> | undefined, 'name');
      }
      for (const variable of container.env ?? []) {
        const from = variable.valueFrom as Record<string, Record<string, unknown>> | undefined;
        rename('ConfigMap', from?.configMapKeyRef, 'name');
        rename('Secret', from?.secretKeyRef, 'name');
      }
    }
  }
}
