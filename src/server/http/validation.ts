import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/** A property schema as far as strict parsing looks at it. */
interface ParameterSchema {
  type?: string | string[];
  anyOf?: ParameterSchema[];
}

/**
 * Request validation without type coercion (docs/decisions/0027-strict-request-input.md).
 * Fastify's default validator coerces: `{"lab": 42}` became `"42"`, `"true"` became `true`, a
 * scalar became an array. Bodies are JSON and carry their own types, so they are validated as
 * sent. Path and query parameters are text by nature: the ones a schema declares integer, number
 * or boolean are parsed here, strictly (digits, a plain decimal, `true`/`false`), and anything
 * else is left as the string it was, so the schema refuses it and names the field.
 */
export function installStrictValidation(app: FastifyInstance): void {
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, addUsedSchema: false });
  addFormats.default(ajv);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = ajv.compile(schema as AnySchema);
    if (httpPart === 'body') return validate;
    const parsers = parametersOf(schema);
    if (parsers.size === 0) return validate;
    const parseThenValidate = (data: unknown): boolean => {
      if (data && typeof data === 'object') {
        const values = data as Record<string, unknown>;
        for (const [name, parse] of parsers) if (typeof values[name] === 'string') values[name] = parse(values[name]);
      }
      const valid = validate(data) as boolean;
      parseThenValidate.errors = validate.errors;
      return valid;
    };
    parseThenValidate.errors = null as ValidateFunction['errors'];
    return parseThenValidate;
  });
}

type Parse = (text: string) => unknown;

const integerText = /^-?(0|[1-9][0-9]*)$/;
const numberText = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A strict parser for each parameter whose schema admits a number or a boolean (and not a string: then the text stays). */
function parametersOf(schema: unknown): Map<string, Parse> {
  const parsers = new Map<string, Parse>();
  const properties = (schema as { properties?: Record<string, ParameterSchema> }).properties ?? {};
  for (const [name, property] of Object.entries(properties)) {
    const types = typesOf(property);
    if (types.has('string')) continue;
    const parse: Parse | undefined = types.has('number')
      ? (text) => (numberText.test(text) ? Number(text) : text)
      : types.has('integer')
        ? (text) => (integerText.test(text) ? Number(text) : text)
        : types.has('boolean')
          ? (text) => (text === 'true' ? true : text === 'false' ? false : text)
          : undefined;
    if (parse) parsers.set(name, parse);
  }
  return parsers;
}

function typesOf(schema: ParameterSchema): Set<string> {
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((branch) => [...typesOf(branch)]));
  return new Set([schema.type ?? []].flat());
}
