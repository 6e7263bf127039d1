import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { errorCatalogue, type ErrorCode, type FieldProblem } from '../../common/errors.js';
import { LabhubError, validationError } from '../errors.js';

/** Maps every error to `{error:{code,message,details?}}`; never sends a stack trace. Unknown routes are answered in web.ts. */
export function installErrorHandling(app: FastifyInstance, errorsTotal: Counter<'reason'>): void {
  app.setErrorHandler((error: FastifyError | LabhubError, request: FastifyRequest, reply: FastifyReply) => {
    const labhubError = toLabhubError(error);
    if (labhubError.status >= 500) request.log.error({ err: error }, 'request failed');
    errorsTotal.inc({ reason: errorCatalogue[labhubError.code].reason });
    return reply.code(labhubError.status).headers(labhubError.headers).send(labhubError.toBody());
  });
}

export function toLabhubError(error: FastifyError | LabhubError): LabhubError {
  if (error instanceof LabhubError) return error;
  if (error.validation) {
    const where = error.validationContext ?? 'body';
    return validationError(error.validation.map((issue) => problemOf(where, issue)));
  }
  const byFastifyCode: Record<string, ErrorCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'LABHUB_BODY_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'LABHUB_UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'LABHUB_VALIDATION',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'LABHUB_MALFORMED_JSON',
    FST_ERR_CTP_INVALID_JSON_BODY: 'LABHUB_MALFORMED_JSON',
  };
  const mapped = byFastifyCode[error.code];
  if (mapped) return new LabhubError(mapped);
  // The JSON body parser throws a SyntaxError carrying status 400.
  if (error instanceof SyntaxError || error.name === 'SyntaxError') return new LabhubError('LABHUB_MALFORMED_JSON');
  const status = error.statusCode ?? 500;
  if (status === 404) return new LabhubError('LABHUB_NOT_FOUND');
  if (status === 413) return new LabhubError('LABHUB_BODY_TOO_LARGE');
  if (status === 415) return new LabhubError('LABHUB_UNSUPPORTED_MEDIA_TYPE');
  if (status >= 400 && status < 500) return new LabhubError('LABHUB_VALIDATION', 'The request is not valid.');
  return new LabhubError('LABHUB_INTERNAL', undefined, { cause: error });
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function problemOf(where: string, issue: AjvIssue): FieldProblem {
  const segments = (issue.instancePath ?? '').split('/').filter(Boolean);
  if (issue.keyword === 'required' && typeof issue.params?.missingProperty === 'string') {
    segments.push(issue.params.missingProperty);
    return { path: fieldPath(where, segments), message: 'is required' };
  }
  if (issue.keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') {
    segments.push(issue.params.additionalProperty);
    return { path: fieldPath(where, segments), message: 'is not a known field' };
  }
  return { path: fieldPath(where, segments), message: issue.message ?? 'is not valid' };
}

function fieldPath(where: string, segments: string[]): string {
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`), where);
}
