/**
 * What a step's Markdown may say beyond Markdown (docs/writing-labs.md, "Variables" and "Run"):
 *
 * - `{{machines.<name>.host}}`, `{{user.username}}`, `{{credentials.<machine>.username}}`,
 *   `{{credentials.<machine>.password}}` (the machine's first login; `credentials.<machine>.<n>.…`
 *   for its n-th) and `{{apps.<machine>.<port>}}`: variables, expanded by the server when it
 *   serves the steps. `\{{` stands for a literal `{{`.
 * - a word `run:<machine>` in a fenced block's info string (```` ```sh run:router ````): its Run
 *   button types the block into that machine's terminal.
 *
 * The lab rules check both when a lab is validated; the server expands variables with
 * `expandStepText`, which escapes each value for where it lands so a value can never turn into
 * Markdown or HTML.
 */

export type StepVariable =
  | { kind: 'host'; machine: string }
  | { kind: 'username' }
  | { kind: 'credential'; machine: string; index: number; field: 'username' | 'password' }
  | { kind: 'app'; machine: string; port: number };

/** What the lab offers that variables and Run targets may name. */
export interface StepTextMachine {
  name: string;
  /** How many logins the lab declares for it. */
  credentials: number;
  httpPorts: number[];
  terminal: boolean;
}

/** A `{{…}}` in the text: where it is (0-based line and column) and what it says. */
export interface Placeholder {
  expression: string;
  line: number;
  column: number;
}

export interface RunTarget {
  machine: string;
  line: number;
  column: number;
}

const placeholderPattern = /(\\?)\{\{\s*([^{}\s]*)\s*\}\}/g;
const runWordPattern = /^run:(.*)$/;

type Segment = { kind: 'text'; text: string; start: number } | { kind: 'fence'; text: string; start: number; opening: boolean } | { kind: 'span'; text: string; start: number; delimiter: string };

/** The text cut into prose, fenced code and inline code spans; the pieces join back to the text. */
function segmentsOf(markdown: string): Segment[] {
  const segments: Segment[] = [];
  const lines = markdown.split(/(?<=\n)/);
  let fence: { char: string; length: number } | undefined;
  let offset = 0;
  let prose = '';
  let proseStart = 0;
  const flushProse = () => {
    if (prose) segments.push(...spansOf(prose, proseStart));
    prose = '';
  };
  for (const line of lines) {
    const marker = /^\s*(`{3,}|~{3,})(.*)$/.exec(line.replace(/\r?\n$/, ''));
    if (fence) {
      segments.push({ kind: 'fence', text: line, start: offset, opening: false });
      if (marker && marker[1]![0] === fence.char && marker[1]!.length >= fence.length && marker[2]!.trim() === '') fence = undefined;
    } else if (marker && !(marker[1]![0] === '`' && marker[2]!.includes('`'))) {
      flushProse();
      fence = { char: marker[1]![0]!, length: marker[1]!.length };
      segments.push({ kind: 'fence', text: line, start: offset, opening: true });
    } else {
      if (!prose) proseStart = offset;
      prose += line;
    }
    offset += line.length;
  }
  flushProse();
  return segments;
}

/**
 * Inline code spans of prose: a run of n backticks up to the next run of exactly n in the same
 * paragraph. A backslash before a run keeps it from opening a span, not from closing one (inside
 * code a backslash is just a character).
 */
function spansOf(prose: string, start: number): Segment[] {
  const segments: Segment[] = [];
  const runs = [...prose.matchAll(/`+/g)];
  let textFrom = 0;
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!;
    if (open.index < textFrom || prose[open.index - 1] === '\\') continue;
    const afterOpen = open.index + open[0].length;
    const paragraphEnd = prose.slice(afterOpen).search(/\n[ \t]*\n/);
    const limit = paragraphEnd === -1 ? prose.length : afterOpen + paragraphEnd;
    const close = runs.slice(i + 1).find((run) => run.index >= afterOpen && run.index < limit && run[0].length === open[0].length);
    if (!close) continue;
    if (open.index > textFrom) segments.push({ kind: 'text', text: prose.slice(textFrom, open.index), start: start + textFrom });
    segments.push({ kind: 'span', text: prose.slice(afterOpen, close.index), start: start + afterOpen, delimiter: open[0] });
    textFrom = close.index + close[0].length;
  }
  if (textFrom < prose.length) segments.push({ kind: 'text', text: prose.slice(textFrom), start: start + textFrom });
  return segments;
}

/** Every unescaped `{{…}}` of the text, in order. */
export function placeholdersIn(markdown: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of markdown.matchAll(placeholderPattern)) {
    if (match[1]) continue;
    found.push({ expression: match[2]!, ...lineAndColumn(markdown, match.index) });
  }
  return found;
}

/** Every `run:<machine>` word of a fenced block's info string. */
export function runTargetsIn(markdown: string): RunTarget[] {
  const targets: RunTarget[] = [];
  for (const segment of segmentsOf(markdown)) {
    if (segment.kind !== 'fence' || !segment.opening) continue;
    const opening = /^(\s*(?:`{3,}|~{3,}))(.*)$/.exec(segment.text.replace(/\r?\n$/, ''));
    if (!opening) continue;
    let column = opening[1]!.length;
    for (const word of opening[2]!.split(/(\s+)/)) {
      const machine = runWordPattern.exec(word)?.[1];
      if (machine !== undefined) targets.push({ machine, ...lineAndColumn(markdown, segment.start + column) });
      column += word.length;
    }
  }
  return targets;
}

/** The machine a fenced block's info string names with `run:<machine>`, if any (for the web page's Run button). */
export function runTargetOf(infoString: string): string | undefined {
  for (const word of infoString.trim().split(/\s+/)) {
    const machine = runWordPattern.exec(word)?.[1];
    if (machine) return machine;
  }
  return undefined;
}

/** The info string's language: its first word that is not a `run:` target. */
export function languageOf(infoString: string): string | undefined {
  return infoString
    .trim()
    .split(/\s+/)
    .find((word) => word && !runWordPattern.test(word));
}

/** Reads a variable's expression; a string says what is wrong with it. */
export function parseVariable(expression: string): StepVariable | string {
  const parts = expression.split('.');
  const [root, first, second, third] = parts;
  switch (root) {
    case 'machines':
      if (parts.length === 3 && first && second === 'host') return { kind: 'host', machine: first };
      return 'must be {{machines.<machine>.host}}';
    case 'user':
      if (parts.length === 2 && first === 'username') return { kind: 'username' };
      return 'must be {{user.username}}';
    case 'credentials': {
      const indexed = parts.length === 4 && /^[1-9]\d*$/.test(second ?? '');
      const field = indexed ? third : second;
      if (first && (parts.length === 3 || indexed) && (field === 'username' || field === 'password')) {
        return { kind: 'credential', machine: first, index: indexed ? Number(second) - 1 : 0, field };
      }
      return 'must be {{credentials.<machine>.username}} or {{credentials.<machine>.password}} (or credentials.<machine>.<n>.… for its n-th login)';
    }
    case 'apps':
      if (parts.length === 3 && first && /^\d{1,5}$/.test(second ?? '')) return { kind: 'app', machine: first, port: Number(second) };
      return 'must be {{apps.<machine>.<port>}}';
    default:
      return 'is not a variable labhub knows: use machines.<machine>.host, user.username, credentials.<machine>.username|password or apps.<machine>.<port> (write \\{{ for literal braces)';
  }
}

/** Why the lab cannot fill in `variable`, or undefined when it can. */
export function variableProblem(variable: StepVariable, machines: readonly StepTextMachine[]): string | undefined {
  if (variable.kind === 'username') return undefined;
  const machine = machines.find((candidate) => candidate.name === variable.machine);
  if (!machine) return `names no machine of this lab (its machines: ${machines.map((m) => m.name).join(', ')})`;
  if (variable.kind === 'credential' && variable.index >= machine.credentials) {
    return machine.credentials === 0
      ? `names credentials of "${machine.name}", which declares none (add credentials to the machine)`
      : `names login ${variable.index + 1} of "${machine.name}", which declares ${machine.credentials}`;
  }
  if (variable.kind === 'app' && !machine.httpPorts.includes(variable.port)) {
    return `names no app of "${machine.name}": add {http: ${variable.port}} to its access`;
  }
  return undefined;
}

/** Why a fenced block cannot run on `machine`, or undefined when it can. */
export function runTargetProblem(machine: string, machines: readonly StepTextMachine[]): string | undefined {
  const target = machines.find((candidate) => candidate.name === machine);
  if (!target) return `run:${machine} names no machine of this lab (its machines: ${machines.map((m) => m.name).join(', ')})`;
  if (!target.terminal) return `run:${machine} names a machine without a terminal (add terminal to its access)`;
  return undefined;
}

/**
 * The text with every variable replaced by `valueOf`'s answer, escaped for where it lands:
 * in prose every ASCII punctuation character is backslash-escaped (Markdown shows it as itself);
 * in code, where backslashes would show, line breaks become spaces and an inline code span gets
 * longer backtick fences when a value holds backticks. A variable `valueOf` cannot fill (a lab
 * version validated before the variable existed) stays as written. `\{{` becomes `{{`.
 */
export function expandStepText(markdown: string, valueOf: (variable: StepVariable) => string | undefined): string {
  const replace = (text: string, escape: (value: string) => string) =>
    text.replace(placeholderPattern, (whole, backslash: string, expression: string) => {
      if (backslash) return whole.slice(1);
      const variable = parseVariable(expression);
      const value = typeof variable === 'string' ? undefined : valueOf(variable);
      return value === undefined ? whole : escape(value);
    });
  return segmentsOf(markdown)
    .map((segment) => {
      if (segment.kind === 'text') return replace(segment.text, escapeProse);
      if (segment.kind === 'fence') return replace(segment.text, oneLine);
      const code = replace(segment.text, oneLine);
      const longestRun = Math.max(0, ...[...code.matchAll(/`+/g)].map((run) => run[0].length));
      if (longestRun < segment.delimiter.length || code === segment.text) return `${segment.delimiter}${code}${segment.delimiter}`;
      // A longer fence than any backtick run inside, with spaces so a backtick at either end stays content.
      const delimiter = '`'.repeat(longestRun + 1);
      return `${delimiter} ${code} ${delimiter}`;
    })
    .join('');
}

function escapeProse(value: string): string {
  return oneLine(value).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) };
}
