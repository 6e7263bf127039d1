import type { ErrorObject } from 'ajv';
import { LabContainerMachine, LabVmMachine } from './schema.js';
import type { Anchor } from './yaml-positions.js';

/** A problem found in a lab, located by the keys and indexes that lead to it. */
export interface LabIssue {
  segments: string[];
  message: string;
  anchor: Anchor;
  /** For a problem inside a multi-line text (a step's Markdown): its 0-based line and column there. */
  lineInValue?: number;
  columnInLine?: number;
}

/** Keywords whose failure the schema node's `errorMessage` explains better than the generic text. */
const replaceableByErrorMessage = new Set(['type', 'enum', 'const', 'pattern', 'format', 'minProperties', 'maxProperties', 'anyOf', 'oneOf', 'not']);
/** A branch of a union that fails one of these at the union's own value does not have the value's shape. */
const shapeKeywords = new Set(['type', 'const', 'enum']);

/** Turns Ajv's errors (compiled with `allErrors` and `verbose`) into plain-worded issues, one per real problem. */
export function schemaIssues(errors: readonly ErrorObject[], data: unknown): LabIssue[] {
  const issues: LabIssue[] = [];
  for (const error of resolveUnions(errors)) {
    const issue = issueOf(error, data, errors);
    if (issue) issues.push(issue);
  }
  return issues;
}

/**
 * For each failed `anyOf`/`oneOf`, keeps the errors of the one branch that has the value's shape
 * (e.g. for `{http: 70000}` the `{http}` branch, not the `terminal|desktop` one) and drops the rest;
 * when no branch fits, keeps the union's own error, which reads as "must be A, B or C".
 */
function resolveUnions(errors: readonly ErrorObject[]): ErrorObject[] {
  let current = [...errors];
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!current.includes(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const branches = new Map<number, ErrorObject[]>();
    const inUnion = (error: ErrorObject) =>
      error.schemaPath.startsWith(prefix) && (error.instancePath === union.instancePath || error.instancePath.startsWith(`${union.instancePath}/`));
    for (const error of current) {
      if (!inUnion(error)) continue;
      const index = Number(error.schemaPath.slice(prefix.length).split('/')[0]);
      branches.set(index, [...(branches.get(index) ?? []), error]);
    }
    const fitting = [...branches.values()]
      .filter((branch) => !branch.some((e) => e.instancePath === union.instancePath && shapeKeywords.has(e.keyword)))
      .sort((a, b) => a.length - b.length);
    const best = fitting[0];
    current = current.filter((e) => e !== union && !inUnion(e));
    current.push(...(best ?? [union]));
  }
  return current;
}

function issueOf(error: ErrorObject, data: unknown, all: readonly ErrorObject[]): LabIssue | undefined {
  const segments = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { segments: [...segments, String(params.missingProperty)], message: 'is required', anchor: 'parent' };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      return { segments: [...segments, field], message: unknownFieldMessage(field, segments, data, error.parentSchema), anchor: 'key' };
    }
    case 'discriminator': {
      const tag = String(params.tag);
      // A missing tag is already reported by `required`.
      if (params.error === 'tag' && all.some((e) => e.keyword === 'required' && e.instancePath === error.instancePath && e.params.missingProperty === tag)) return undefined;
      return { segments: [...segments, tag], message: 'must be one of: container, vm', anchor: 'value' };
    }
    case 'propertyNames':
    case 'if':
      // Their inner errors (`pattern` with a propertyName, `then` branches) say it better.
      return undefined;
    case 'uniqueItems':
      return { segments: [...segments, String(Math.max(Number(params.i), Number(params.j)))], message: `is listed twice (items ${Math.min(Number(params.i), Number(params.j))} and ${Math.max(Number(params.i), Number(params.j))} are the same)`, anchor: 'value' };
    default:
      break;
  }
  if (error.propertyName !== undefined) {
    return { segments: [...segments, error.propertyName], message: messageOf(error, undefined), anchor: 'key' };
  }
  return { segments, message: messageOf(error, valueAt(data, segments)), anchor: 'value' };
}

function messageOf(error: ErrorObject, value: unknown): string {
  const schema = (typeof error.parentSchema === 'object' ? error.parentSchema : {}) as Record<string, unknown>;
  if (error.keyword === 'pattern' && typeof schema.patternErrorMessage === 'string') return schema.patternErrorMessage;
  if (replaceableByErrorMessage.has(error.keyword) && typeof schema.errorMessage === 'string') return schema.errorMessage;
  const params = error.params as Record<string, unknown>;
  const limit = Number(params.limit);
  switch (error.keyword) {
    case 'type':
      return typeMessage(String(params.type), value);
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${String(params.allowedValue)}`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`;
    case 'maxLength':
      return `must be at most ${limit} characters long`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be more than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'minItems':
      return limit === 1 ? 'must list at least one item' : `must list at least ${limit} items`;
    case 'maxItems':
      return `must list at most ${limit} items`;
    case 'minProperties':
      return `must have at least ${limit} ${limit === 1 ? 'field' : 'fields'}`;
    case 'maxProperties':
      return `must have at most ${limit} ${limit === 1 ? 'field' : 'fields'}`;
    case 'pattern':
      return 'does not have the expected form';
    case 'anyOf':
    case 'oneOf':
      return 'is not one of the allowed forms';
    case 'not':
    case 'false schema':
      return 'is not allowed here';
    default:
      return error.message ?? 'is not valid';
  }
}

const typeWords: Record<string, string> = {
  object: 'a mapping (name: value)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  null: 'empty',
};

function typeMessage(expected: string, value: unknown): string {
  const words = expected.split(',').map((type) => typeWords[type] ?? type);
  const message = `must be ${words.join(' or ')}`;
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return `${message}: put quotes around it`;
  return message;
}

/** Fields that one machine type has and the other lacks, with the hint to give when they appear on the other. */
const machineOnlyFields = new Map<string, string>([
  ...Object.keys(LabVmMachine.properties)
    .filter((key) => !(key in LabContainerMachine.properties))
    .map((key): [string, string] => [key, 'is only allowed on VMs (type: vm)']),
  ...Object.keys(LabContainerMachine.properties)
    .filter((key) => !(key in LabVmMachine.properties))
    .map((key): [string, string] => [key, 'is only allowed on containers (type: container)']),
]);

function unknownFieldMessage(field: string, segments: string[], data: unknown, parentSchema: unknown): string {
  const isMachine = segments.length === 3 && segments[0] === 'spec' && segments[1] === 'machines';
  const onlyOn = isMachine ? machineOnlyFields.get(field) : undefined;
  if (onlyOn) return onlyOn;
  const known = parentSchema && typeof parentSchema === 'object' && 'properties' in parentSchema ? Object.keys((parentSchema as { properties: object }).properties) : [];
  const suggestion = known.find((name) => name !== field && editDistance(name.toLowerCase(), field.toLowerCase()) <= (field.length > 4 ? 2 : 1));
  return suggestion ? `is not a known field; did you mean ${suggestion}?` : 'is not a known field';
}

/** Levenshtein distance, for "did you mean" hints on short field names. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? Infinity;
}

/** The keys of a JSON Pointer (`/spec/machines/0` → spec, machines, 0). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at a path in plain data, or undefined. */
export function valueAt(data: unknown, segments: readonly string[]): unknown {
  let current = data;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
