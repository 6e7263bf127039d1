import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyError } from 'fastify';
import { LabhubError } from '../errors.js';
import { toLabhubError } from './errors.js';

function fastifyError(fields: Partial<FastifyError> & { validation?: unknown }): FastifyError {
  return Object.assign(new Error(fields.message ?? 'x'), fields) as FastifyError;
}

test('validation errors name each field with its path', () => {
  const error = toLabhubError(
    fastifyError({
      validationContext: 'body',
      validation: [
        { instancePath: '', keyword: 'required', params: { missingProperty: 'password' }, message: "must have required property 'password'", schemaPath: '' },
        { instancePath: '/machines/2/name', keyword: 'pattern', params: {}, message: 'must match pattern', schemaPath: '' },
        { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'rol' }, message: 'x', schemaPath: '' },
      ],
    } as Partial<FastifyError>),
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, 'LABHUB_VALIDATION');
  assert.deepEqual(error.details?.problems, [
    { path: 'body.password', message: 'is required' },
    { path: 'body.machines[2].name', message: 'must match pattern' },
    { path: 'body.rol', message: 'is not a known field' },
  ]);
});

test('framework errors map to catalogue codes', () => {
  assert.equal(toLabhubError(fastifyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code, 'LABHUB_BODY_TOO_LARGE');
  assert.equal(toLabhubError(fastifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).code, 'LABHUB_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(toLabhubError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }) as unknown as FastifyError).code, 'LABHUB_MALFORMED_JSON');
});

test('unknown errors become a generic 500 that says nothing of the cause', () => {
  const error = toLabhubError(fastifyError({ message: 'ECONNREFUSED 10.0.0.1:5432 password=secret' }));
  assert.equal(error.status, 500);
  assert.equal(error.message, 'Something went wrong on the server.');
  assert.deepEqual(error.toBody(), { error: { code: 'LABHUB_INTERNAL', message: 'Something went wrong on the server.' } });
});

test('labhub errors pass through with their headers', () => {
  const original = new LabhubError('LABHUB_RATE_LIMITED', 'slow down', { headers: { 'Retry-After': '5' } });
  assert.equal(toLabhubError(original), original);
});
