// One table of application errors: a stable code, an HTTP status, a message. Domain code throws
// AppError; the HTTP layer turns it into a JSON problem body {error, message, details?}.
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; retryAfterSec?: number },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.retryAfterSec = options?.retryAfterSec;
  }

  /** For a temporary refusal (503, 429): when the client should try again; sent as Retry-After. */
  readonly retryAfterSec?: number;
}

function defineError(code: string, statusCode: number) {
  const make = (message: string, details?: unknown) => new AppError(code, statusCode, message, details);
  return Object.assign(make, { code, statusCode });
}

export const Errors = {
  badRequest: defineError('BAD_REQUEST', 400),
  invalidPayload: defineError('INVALID_PAYLOAD', 400),
  unauthorized: defineError('UNAUTHORIZED', 401),
  forbidden: defineError('FORBIDDEN', 403),
  notFound: defineError('NOT_FOUND', 404),
  conflict: defineError('CONFLICT', 409),
  payloadTooLarge: defineError('PAYLOAD_TOO_LARGE', 413),
  unprocessable: defineError('UNPROCESSABLE', 422),
  quotaExceeded: defineError('QUOTA_EXCEEDED', 403),
  rateLimited: defineError('RATE_LIMITED', 429),
  unavailable: defineError('UNAVAILABLE', 503),
} as const;
