import { GraphQLError } from 'graphql';

/** The error codes clients act on; anything else reaches them as INTERNAL_SERVER_ERROR. */
export const errorCodes = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  /** A dependency is down or saturated (no database connection in time): the same request may succeed in a moment. */
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** An expected failure: its message and code are safe to show the client. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return errorCodes[this.code];
  }
}

export const unauthenticated = (message = 'authentication required') => new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'not allowed') => new DomainError('FORBIDDEN', message);
export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_USER_INPUT', message, details);
export const notFound = (message: string) => new DomainError('NOT_FOUND', message);
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', message, details);

/** Said instead of "internal error" when a database or broker is down or saturated: the client should retry. */
export const serviceUnavailable = () => new DomainError('SERVICE_UNAVAILABLE', 'temporarily unavailable, retry shortly', { retryAfterSeconds: 1 });

export function toGraphQLError(error: DomainError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, ...(error.details ?? {}) } });
}

/** JSON body for REST answers: `{ error: { code, message, details? } }`. */
export function restErrorBody(error: DomainError): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

/**
 * A service cannot start because something it needs is missing or unusable (no database answers).
 * The message says what and how to fix it, so runService logs it without a stack trace.
 */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}
