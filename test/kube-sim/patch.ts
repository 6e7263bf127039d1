import { badRequest, ApiError } from './resources.js';

/** RFC 7386 JSON merge patch (`application/merge-patch+json`). Strategic merge patches are treated as this too (lists are replaced, not merged by key). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the JSON patch path "${path}" does not start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, parts: string[], path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  let node = document;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (node && typeof node === 'object') node = (node as Record<string, unknown>)[part];
    else node = undefined;
    if (node === undefined) throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" does not exist`);
  }
  if (!node || typeof node !== 'object') throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" does not exist`);
  return { parent: node as Record<string, unknown> | unknown[], key: parts[parts.length - 1] ?? '' };
}

function read(document: unknown, path: string): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return document;
  const { parent, key } = parentOf(document, parts, path);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" does not exist`);
  return value;
}

function remove(document: unknown, path: string): unknown {
  const parts = pointer(path);
  const { parent, key } = parentOf(document, parts, path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" does not exist`);
    return parent.splice(index, 1)[0];
  }
  if (!(key in parent)) throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" does not exist`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function add(document: unknown, path: string, value: unknown): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(document, parts, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new ApiError(422, 'Invalid', `the JSON patch path "${path}" is out of range`);
    parent.splice(index, 0, structuredClone(value));
  } else parent[key] = structuredClone(value);
  return document;
}

/** RFC 6902 JSON patch (`application/json-patch+json`). */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('a JSON patch must be a list of operations');
  let document = structuredClone(target);
  for (const raw of operations as Operation[]) {
    if (!raw || typeof raw !== 'object' || typeof raw.path !== 'string') throw badRequest('every JSON patch operation needs "op" and "path"');
    switch (raw.op) {
      case 'add':
        document = add(document, raw.path, raw.value);
        break;
      case 'remove':
        remove(document, raw.path);
        break;
      case 'replace':
        read(document, raw.path);
        if (pointer(raw.path).length === 0) document = structuredClone(raw.value);
        else remove(document, raw.path), (document = add(document, raw.path, raw.value));
        break;
      case 'move': {
        const value = remove(document, raw.from ?? '');
        document = add(document, raw.path, value);
        break;
      }
      case 'copy':
        document = add(document, raw.path, read(document, raw.from ?? ''));
        break;
      case 'test':
        if (JSON.stringify(read(document, raw.path)) !== JSON.stringify(raw.value)) throw new ApiError(422, 'Invalid', `the JSON patch test operation on "${raw.path}" failed`);
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${String(raw.op)}"`);
    }
  }
  return document;
}
