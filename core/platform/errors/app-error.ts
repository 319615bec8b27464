/** The one error type services throw; api/http/problem.ts alone turns it into HTTP. */
export const ErrorCode = {
  NotFound: 'not_found',
  ValidationFailed: 'validation_failed',
  InsufficientHistory: 'insufficient_history',
  Unprocessable: 'unprocessable',
  RateLimited: 'rate_limited',
  DependencyUnavailable: 'dependency_unavailable',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  Conflict: 'conflict',
  PayloadTooLarge: 'payload_too_large',
  MethodNotAllowed: 'method_not_allowed',
  DeadlineExceeded: 'deadline_exceeded',
  UpgradeRequired: 'upgrade_required',
} as const;
export type TErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CODE_TO_STATUS: Record<TErrorCode, number> = {
  not_found: 404,
  validation_failed: 400,
  insufficient_history: 422,
  unprocessable: 422,
  rate_limited: 429,
  dependency_unavailable: 503,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  payload_too_large: 413,
  method_not_allowed: 405,
  deadline_exceeded: 503,
  upgrade_required: 426,
};

export const CODE_TO_TITLE: Record<TErrorCode, string> = {
  not_found: 'Not Found',
  validation_failed: 'Invalid request parameters',
  insufficient_history: 'Insufficient history',
  unprocessable: 'Unprocessable Content',
  rate_limited: 'Too Many Requests',
  dependency_unavailable: 'Service Unavailable',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  conflict: 'Conflict',
  payload_too_large: 'Payload Too Large',
  method_not_allowed: 'Method Not Allowed',
  deadline_exceeded: 'Deadline Exceeded',
  upgrade_required: 'Upgrade Required',
};

export type TFieldError = { name: string; in: 'path' | 'query' | 'body' | 'header'; detail: string };

export type TAppErrorOptions = {
  detail: string;
  errors?: TFieldError[];
  /** Extra members for the problem document (RFC 9457 extension members). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
};

export class AppError extends Error {
  readonly code: TErrorCode;
  readonly detail: string;
  readonly errors: TFieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: TErrorCode, options: TAppErrorOptions) {
    super(options.detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extensions = options.extensions;
  }
}
