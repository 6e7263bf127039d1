import fc from 'fast-check';

/** A JSON schema as TypeBox writes them: the subset this module understands. */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

/**
 * Values that follow `schema` most of the time and break it in every way some of the time: fields
 * left out, of the wrong type, out of range, strings of any code points. Fuzzing with them gets
 * past a route's schema check often enough to reach its handler.
 */
export function nearSchema(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const wild = fc.jsonValue({ maxDepth: 2 });
  if (!schema || typeof schema !== 'object' || depth > 4) return wild;
  return fc.oneof({ weight: 4, arbitrary: following(schema as Schema, depth) }, { weight: 1, arbitrary: wild });
}

function following(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((branch) => nearSchema(branch, depth + 1)));
  switch (schema.type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const record = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, nearSchema(value, depth + 1)]));
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((key) => key in record) }).chain((value) =>
        // Now and then a field nobody expects.
        fc.oneof({ weight: 5, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((key) => ({ ...value, [key || 'x']: 1 })) }),
      );
    }
    case 'string': {
      const matching = schema.pattern ? matchingPattern(schema.pattern) : undefined;
      if (matching) return fc.oneof(matching, fc.string({ unit: 'binary', maxLength: (schema.maxLength ?? 40) + 2 }));
      return fc.string({ unit: 'binary', minLength: 0, maxLength: (schema.maxLength ?? 40) + 2 });
    }
    case 'integer':
      return fc.integer({ min: (schema.minimum ?? -1000) - 2, max: (schema.maximum ?? 100_000) + 2 });
    case 'number':
      return fc.double({ min: (schema.minimum ?? -1000) - 2, max: (schema.maximum ?? 100_000) + 2, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(nearSchema(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 5, 5) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Strings matching a pattern, when fast-check can generate them (it cannot for every regular expression). */
function matchingPattern(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern)).map((s) => s.slice(0, 200));
  } catch {
    return undefined;
  }
}
