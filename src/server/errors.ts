import { errorCatalogue, type ErrorBody, type ErrorCode, type FieldProblem } from '../common/errors.js';

export type ErrorDetails = NonNullable<ErrorBody['error']['details']>;

/** The one error type labhub code throws; the API layer turns it into `{error:{code,message,details}}`. */
export class LabhubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: { details?: ErrorDetails; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = 'LabhubError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A validation error naming each problem's field path. */
export function validationError(problems: FieldProblem[], message?: string): LabhubError {
  const summary = message ?? problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new LabhubError('LABHUB_VALIDATION', summary || undefined, { details: { problems } });
}
