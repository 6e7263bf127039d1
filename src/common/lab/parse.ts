import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { FieldProblem } from '../errors.js';
import { ruleIssues } from './lab-rules.js';
import { normalizeLab } from './normalize.js';
import type { NormalizedLab } from './normalized.js';
import { labJsonSchema, maxLabSourceBytes, type LabDocument } from './schema.js';
import { schemaIssues, valueAt, type LabIssue } from './schema-problems.js';
import { positionInText, positionOf } from './yaml-positions.js';

export type ParseLabResult =
  | { ok: true; lab: NormalizedLab; source: string }
  /** `name` is the lab's name when the file states a valid one despite its problems. */
  | { ok: false; problems: FieldProblem[]; source: string; name?: string };

/** More problems than this are cut: the first ones are the ones to fix. */
const maxProblems = 100;

let validator: ValidateFunction | undefined;

/**
 * Compiled on first use, not at import: Ajv generates code with `new Function`, which the web
 * UI's Content-Security-Policy forbids, and the UI imports this folder for its types and schemas.
 */
function labValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strictTypes: true, strictTuples: true });
    for (const keyword of ['errorMessage', 'patternErrorMessage']) ajv.addKeyword({ keyword, schemaType: 'string' });
    validator = ajv.compile(labJsonSchema());
  }
  return validator;
}

/**
 * Reads a lab file: YAML → schema → cross-field rules → normalized lab. Never throws: anything
 * wrong with the text comes back as problems naming the field path and its 1-based YAML line and
 * column. `source` names the text (a file name, or "editor") in the result.
 */
export function parseLab(yamlText: string, source: string): ParseLabResult {
  try {
    return parseUnguarded(yamlText, source);
  } catch (error) {
    // Only a bug of ours can get here; the author still gets an answer instead of a crash.
    return { ok: false, source, problems: [{ path: '(document)', message: `could not be read: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

function parseUnguarded(yamlText: string, source: string): ParseLabResult {
  if (typeof yamlText !== 'string') return failure(source, [{ path: '(document)', message: 'must be YAML text' }]);
  if (yamlText.length > maxLabSourceBytes) return failure(source, [{ path: '(document)', message: `is too large: at most ${maxLabSourceBytes / 1024} KiB`, line: 1, column: 1 }]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // In the parser's order, the first on each line: what follows on a line is mostly the same mistake seen again.
    const problems = new Map<number, FieldProblem>();
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      if (!problems.has(line)) problems.set(line, { path: '(yaml)', message: syntaxMessage(error.code, error.message), line, column: col });
    }
    return failure(source, [...problems.values()]);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml reports an alias whose anchor comes later, or too many aliases (a "billion laughs"), only here.
    return failure(source, [{ path: '(yaml)', message: `is not valid YAML: ${error instanceof Error ? error.message : String(error)}`, line: 1, column: 1 }]);
  }

  const validate = labValidator();
  const issues: LabIssue[] = validate(data) ? [] : schemaIssues(validate.errors ?? [], data);
  issues.push(...ruleIssues(data));
  if (issues.length > 0) return failure(source, problemsOf(issues, doc, lineCounter, data, yamlText), nameOf(data));
  return { ok: true, source, lab: normalizeLab(data as LabDocument) };
}

function failure(source: string, problems: FieldProblem[], name?: string): ParseLabResult {
  return { ok: false, source, problems: problems.slice(0, maxProblems), ...(name !== undefined && { name }) };
}

function problemsOf(issues: LabIssue[], doc: Document, lineCounter: LineCounter, data: unknown, yamlText: string): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.segments, data);
    if (seen.has(`${path}\0${issue.message}`)) continue;
    seen.add(`${path}\0${issue.message}`);
    const { line, column } =
      issue.lineInValue === undefined
        ? positionOf(doc, lineCounter, issue.segments, issue.anchor)
        : positionInText(doc, lineCounter, yamlText, issue.segments, issue.lineInValue, issue.columnInLine ?? 0);
    problems.push({ path, message: issue.message, line, column });
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** `spec.machines[1].access[0]`; keys that are not plain words are quoted: `env["MY-VAR"]`. */
export function formatPath(segments: readonly string[], data: unknown): string {
  if (segments.length === 0) return '(document)';
  let path = '';
  segments.forEach((segment, index) => {
    const container = valueAt(data, segments.slice(0, index));
    if (Array.isArray(container) && /^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  });
  return path;
}

function nameOf(data: unknown): string | undefined {
  const name = valueAt(data, ['metadata', 'name']);
  return typeof name === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 63 ? name : undefined;
}

/** yaml's own messages, minus jargon an author does not need. */
function syntaxMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'a field appears twice in the same mapping';
  if (code === 'MULTIPLE_DOCS') return 'holds more than one YAML document; a lab file holds one';
  if (code === 'TAB_AS_INDENT') return 'uses a tab for indentation; YAML needs spaces';
  if (/call stack/i.test(message)) return 'nests lists or mappings too deeply';
  return `is not valid YAML: ${message.replace(/\s+/g, ' ').trim()}`;
}

/** 1-based line and column of the value at `segments` (e.g. metadata, name) in YAML text; for problems found after parsing. */
export function positionInLab(yamlText: string, segments: readonly string[]): { line: number; column: number } {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false });
    return positionOf(doc, lineCounter, segments, 'value');
  } catch {
    return { line: 1, column: 1 };
  }
}
