/**
 * The error catalogue: every error labhub returns has one of these codes.
 * `status` is the HTTP status, `message` the default user-facing text and
 * `reason` a short stable label (used as a metrics label and in logs).
 */
export const errorCatalogue = {
  LABHUB_VALIDATION: { status: 400, reason: 'validation', message: 'The request is not valid.' },
  LABHUB_MALFORMED_JSON: { status: 400, reason: 'malformed_json', message: 'The request body is not valid JSON.' },
  LABHUB_UNAUTHENTICATED: { status: 401, reason: 'unauthenticated', message: 'Please log in.' },
  LABHUB_BAD_CREDENTIALS: { status: 401, reason: 'bad_credentials', message: 'Wrong username or password.' },
  LABHUB_FORBIDDEN: { status: 403, reason: 'forbidden', message: 'You are not allowed to do this.' },
  LABHUB_FOREIGN_ORIGIN: { status: 403, reason: 'foreign_origin', message: 'This request came from another site and was refused.' },
  LABHUB_NOT_FOUND: { status: 404, reason: 'not_found', message: 'Not found.' },
  LABHUB_ROUTE_NOT_FOUND: { status: 404, reason: 'route_not_found', message: 'There is no such API route.' },
  LABHUB_CONFLICT: { status: 409, reason: 'conflict', message: 'This conflicts with the current state.' },
  LABHUB_LIMIT_REACHED: { status: 409, reason: 'limit_reached', message: 'A limit has been reached.' },
  LABHUB_HOST_NOT_READY: { status: 409, reason: 'host_not_ready', message: 'This server lacks something the lab needs; an admin sees what under Admin → Host checks.' },
  LABHUB_BODY_TOO_LARGE: { status: 413, reason: 'body_too_large', message: 'The request body is too large.' },
  LABHUB_UNSUPPORTED_MEDIA_TYPE: { status: 415, reason: 'unsupported_media_type', message: 'The request body must be JSON.' },
  LABHUB_RATE_LIMITED: { status: 429, reason: 'rate_limited', message: 'Too many attempts; try again later.' },
  LABHUB_INTERNAL: { status: 500, reason: 'internal', message: 'Something went wrong on the server.' },
  LABHUB_UNAVAILABLE: { status: 503, reason: 'unavailable', message: 'A service labhub needs is not available.' },
} as const satisfies Record<string, { status: number; reason: string; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** One problem with one field, named by its path (`body.username`, `spec.machines[0].name`). */
export interface FieldProblem {
  path: string;
  message: string;
  /** 1-based position in a YAML source, when the value came from one. */
  line?: number;
  column?: number;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: { problems?: FieldProblem[]; [key: string]: unknown };
  };
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}
