import { isAlias, isMap, isScalar, isSeq, Scalar, type Document, type LineCounter } from 'yaml';

/** Where in the value a problem is: the value itself, its key in the parent mapping, or the parent mapping (for a missing field). */
export type Anchor = 'value' | 'key' | 'parent';

export interface Position {
  line: number;
  column: number;
}

interface Step {
  node: unknown;
  key: unknown;
}

/**
 * 1-based line and column of the node at `segments` (keys and list indexes) in a parsed YAML
 * document. A path that leads nowhere (a missing field) points at the deepest node that exists.
 */
export function positionOf(doc: Document, lineCounter: LineCounter, segments: readonly string[], anchor: Anchor): Position {
  const chain = walk(doc, segments);
  const wanted = anchor === 'parent' ? segments.length - 1 : segments.length;
  const step = chain[Math.min(Math.max(wanted, 0), chain.length - 1)];
  const reachedAll = chain.length - 1 >= wanted;
  const offset = step ? offsetOf(step, reachedAll && anchor === 'key') : undefined;
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** The nodes along a path, starting with the document's root; stops where the path leaves the document. */
function walk(doc: Document, segments: readonly string[]): Step[] {
  const chain: Step[] = [{ node: doc.contents, key: null }];
  let node: unknown = doc.contents;
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: Step | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === segment);
      if (pair) next = { node: pair.value, key: pair.key };
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item: unknown = node.items[Number(segment)];
      if (item !== undefined) next = { node: item, key: null };
    }
    if (!next) break;
    chain.push(next);
    node = next.node;
  }
  return chain;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return range[0];
  }
  return undefined;
}

function offsetOf(step: Step, preferKey: boolean): number | undefined {
  const keyStart = startOf(step.key);
  // An empty value (`metadata:` with nothing after it) has no text of its own: point at its key.
  const empty = step.node === null || step.node === undefined || (isScalar(step.node) && step.node.value === null && keyStart !== undefined);
  if ((preferKey || empty) && keyStart !== undefined) return keyStart;
  return startOf(step.node) ?? keyStart;
}

/**
 * 1-based line and column of a place inside a multi-line string value (0-based `line` and `column`
 * of the string). Exact for a literal block (`|`), whose lines are the file's lines; for any other
 * style the lines of the string are not the file's, so it is the value's own position.
 */
export function positionInText(doc: Document, lineCounter: LineCounter, yamlText: string, segments: readonly string[], line: number, column: number): Position {
  const chain = walk(doc, segments);
  const node = chain.length === segments.length + 1 ? chain[chain.length - 1]?.node : undefined;
  const start = startOf(node);
  if (!isScalar(node) || node.type !== Scalar.BLOCK_LITERAL || start === undefined) return positionOf(doc, lineCounter, segments, 'value');
  // The header (`|`, `|-`, `|2`) is on the line where the node starts; the text begins on the next line.
  const textLine = lineCounter.linePos(start).line + 1 + line;
  const lineStart = lineCounter.lineStarts[textLine - 1];
  if (lineStart === undefined) return positionOf(doc, lineCounter, segments, 'value');
  const firstTextLine = yamlText.slice(lineCounter.lineStarts[lineCounter.linePos(start).line] ?? lineStart).match(/^( *)\S/m);
  const indent = firstTextLine?.[1]?.length ?? 0;
  return { line: textLine, column: indent + column + 1 };
}
