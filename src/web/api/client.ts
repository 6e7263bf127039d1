import { isErrorBody, type ErrorBody, type ErrorCode, type FieldProblem } from '../../common/errors.js';

/** The server's error codes plus two the client makes itself: no answer at all, or an answer that is not labhub's. */
export type ApiErrorCode = ErrorCode | 'LABHUB_NETWORK' | 'LABHUB_BAD_RESPONSE';

export type ApiErrorDetails = NonNullable<ErrorBody['error']['details']>;

/** The one error every API call throws: the server's `{error:{code,message,details}}` plus the HTTP status (0 when there was no answer). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: ApiErrorDetails | undefined;

  constructor(code: ApiErrorCode, status: number, message: string, details?: ApiErrorDetails) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Field problems (`body.username: is taken`), empty when the error is not about fields. */
  get problems(): FieldProblem[] {
    return this.details?.problems ?? [];
  }
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls labhub's REST API on this origin with the session cookie. Resolves with the parsed JSON
 * body (undefined for 204) and rejects with an ApiError for every failure.
 */
export async function apiFetch<T>(path: string, { method = 'GET', body, signal }: ApiRequest = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError('LABHUB_NETWORK', 0, 'labhub cannot be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;

  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (isErrorBody(parsed)) throw new ApiError(parsed.error.code, response.status, parsed.error.message, parsed.error.details);
    throw new ApiError(response.status >= 500 ? 'LABHUB_INTERNAL' : 'LABHUB_BAD_RESPONSE', response.status, `The server answered with status ${response.status}.`);
  }
  if (parsed === undefined) throw new ApiError('LABHUB_BAD_RESPONSE', response.status, 'The server sent an answer labhub does not understand.');
  return parsed as T;
}

/** The message to show for any error a query or mutation may reject with. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Try again.';
}
