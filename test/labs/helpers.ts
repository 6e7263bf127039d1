import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function demoLab(file: string): string {
  return readFileSync(path.join(repoRoot, 'labs', file), 'utf8');
}

export function tempLabsDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'labhub-labs-'));
}

/** A small valid lab; `extra` lines are appended to its one machine (6-space indent). */
export function labYaml(name: string, options: { title?: string; extra?: string[] } = {}): string {
  return [
    'apiVersion: labhub.io/v1',
    'kind: Lab',
    'metadata:',
    `  name: ${name}`,
    `  title: ${options.title ?? `Lab ${name}`}`,
    'spec:',
    '  machines:',
    '    - name: box',
    '      type: container',
    '      image: labhub/shell',
    ...(options.extra ?? []),
    '  instructions:',
    '    - title: First',
    '      check: { machine: box, run: "test -f /tmp/done" }',
    '',
  ].join('\n');
}

/**
 * Polls `read` until `done` holds, or fails after `timeoutMs` with the last value. For effects
 * that happen "soon" (file watching): no fixed sleep decides the outcome.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}
