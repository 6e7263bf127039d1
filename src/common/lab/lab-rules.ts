import { containerImageCapabilities } from './images.js';
import { parseBytes, parseCpu, parseDuration } from './quantities.js';
import { labDefaults, maxCheckTimeoutSeconds, minMemoryBytes } from './schema.js';
import type { LabIssue } from './schema-problems.js';
import { parseVariable, placeholdersIn, runTargetProblem, runTargetsIn, variableProblem, type StepTextMachine } from './step-text.js';

/**
 * Rules JSON Schema cannot say: names that must be unique or must refer to something, and
 * values whose meaning needs a table or arithmetic. They run on the raw data whether or not it
 * matched the schema (each rule skips values of the wrong shape, which the schema reports), so
 * an author sees every problem at once.
 */
export function ruleIssues(data: unknown): LabIssue[] {
  const issues: LabIssue[] = [];
  const spec = field(data, 'spec');
  const limits = field(spec, 'limits');
  for (const name of ['timeLimit', 'idleTimeout']) {
    const value = field(limits, name);
    if (typeof value === 'string' && parseDuration(value) === 0) issues.push(at(['spec', 'limits', name], 'must be longer than 0s'));
  }

  const machines = list(field(spec, 'machines'));
  const names = new Map<string, number>();
  machines.forEach((machine, index) => {
    const name = field(machine, 'name');
    if (typeof name !== 'string') return;
    const first = names.get(name);
    if (first === undefined) names.set(name, index);
    else issues.push(at(['spec', 'machines', String(index), 'name'], `is already the name of machine ${first + 1} (spec.machines[${first}])`));
  });
  machines.forEach((machine, index) => issues.push(...machineIssues(machine, ['spec', 'machines', String(index)])));

  const stepMachines = machines.map(stepTextMachine).filter((machine) => machine !== undefined);
  list(field(spec, 'instructions')).forEach((step, index) => {
    const body = field(step, 'body');
    if (typeof body === 'string') issues.push(...stepTextIssues(body, ['spec', 'instructions', String(index), 'body'], stepMachines));
    const check = field(step, 'check');
    const where = ['spec', 'instructions', String(index), 'check'];
    const machine = field(check, 'machine');
    if (typeof machine === 'string' && names.size > 0 && !names.has(machine)) {
      issues.push(at([...where, 'machine'], `names no machine of this lab (its machines: ${[...names.keys()].join(', ')})`));
    }
    const timeout = field(check, 'timeout');
    const seconds = typeof timeout === 'string' ? parseDuration(timeout) : undefined;
    if (seconds === 0) issues.push(at([...where, 'timeout'], 'must be longer than 0s'));
    if (seconds !== undefined && seconds > maxCheckTimeoutSeconds) issues.push(at([...where, 'timeout'], 'must be at most 10m'));
  });
  return issues;
}

/** Variables and Run targets of a step's Markdown that the lab cannot fill in (step-text.ts), at their line in the body. */
function stepTextIssues(body: string, where: string[], machines: StepTextMachine[]): LabIssue[] {
  const issues: LabIssue[] = [];
  for (const { expression, line, column } of placeholdersIn(body)) {
    const variable = parseVariable(expression);
    const problem = typeof variable === 'string' ? variable : variableProblem(variable, machines);
    if (problem) issues.push({ segments: where, message: `{{${expression}}} (line ${line + 1} of the body) ${problem}`, anchor: 'value', lineInValue: line, columnInLine: column });
  }
  for (const { machine, line, column } of runTargetsIn(body)) {
    const problem = runTargetProblem(machine, machines);
    if (problem) issues.push({ segments: where, message: `${problem} (line ${line + 1} of the body)`, anchor: 'value', lineInValue: line, columnInLine: column });
  }
  return issues;
}

/** What step text may name of a machine, from the raw lab data; undefined for a machine without a name. */
function stepTextMachine(machine: unknown): StepTextMachine | undefined {
  const name = field(machine, 'name');
  if (typeof name !== 'string') return undefined;
  const credentials = field(machine, 'credentials');
  const access = field(machine, 'access');
  const accessList: unknown[] = access === undefined ? [...labDefaults.access] : list(access);
  return {
    name,
    credentials: Array.isArray(credentials) ? credentials.length : credentials === undefined ? 0 : 1,
    httpPorts: accessList.map((entry) => field(entry, 'http')).filter((port): port is number => typeof port === 'number'),
    terminal: accessList.includes('terminal'),
  };
}

function machineIssues(machine: unknown, where: string[]): LabIssue[] {
  const issues: LabIssue[] = [];
  const resources = field(machine, 'resources');
  const cpu = field(resources, 'cpu');
  const millis = typeof cpu === 'number' || typeof cpu === 'string' ? parseCpu(cpu) : undefined;
  if (millis !== undefined && millis < 1) issues.push(at([...where, 'resources', 'cpu'], 'must be at least 1m (a thousandth of a CPU)'));
  const memory = field(resources, 'memory');
  const memoryBytes = typeof memory === 'string' ? parseBytes(memory) : undefined;
  if (memoryBytes !== undefined && memoryBytes < minMemoryBytes) issues.push(at([...where, 'resources', 'memory'], 'must be at least 16Mi'));
  const disk = field(resources, 'disk');
  const diskBytes = typeof disk === 'string' ? parseBytes(disk) : undefined;
  if (diskBytes !== undefined && diskBytes < 1024 ** 2) issues.push(at([...where, 'resources', 'disk'], 'must be at least 1Mi'));

  const seen = new Map<string, number>();
  list(field(machine, 'access')).forEach((access, index) => {
    const path = [...where, 'access', String(index)];
    const http = field(access, 'http');
    const key = typeof access === 'string' ? access : typeof http === 'number' ? `http ${http}` : undefined;
    if (key === undefined) return;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push(at(typeof access === 'string' ? path : [...path, 'http'], `is listed twice (access[${first}] and access[${index}])`));
      return;
    }
    seen.set(key, index);
    if (access === 'desktop') {
      const problem = desktopProblem(machine);
      if (problem) issues.push(at(path, problem));
    }
  });
  return issues;
}

/** Why a machine cannot offer a desktop, or undefined when it can (VMs always can: QEMU's screen). */
function desktopProblem(machine: unknown): string | undefined {
  const image = field(machine, 'image');
  if (field(machine, 'type') !== 'container' || typeof image !== 'string' || field(machine, 'vncPort') !== undefined) return undefined;
  const known = containerImageCapabilities(image);
  if (known?.vncPort != null) return undefined;
  if (known) return `needs an image with a desktop: ${image} has none; use labhub/desktop`;
  return `needs an image with a desktop: labhub does not know ${image}; use labhub/desktop, or set vncPort if the image runs a VNC server`;
}

function at(segments: string[], message: string): LabIssue {
  return { segments, message, anchor: 'value' };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
