import { ErrorCode } from './error-codes';

export type ErrorDetails = Record<string, unknown> | readonly unknown[];

/**
 * What the error knows beyond its code that a transport may need, never sent in the body. An HTTP answer turns
 * `retryAfterSeconds` into Retry-After; `withinSession` marks an authentication failure on a request that already
 * carries a valid session (the HTTP layer then answers 400, not 401, which would read as an expired access token).
 */
export interface ErrorHints {
  readonly retryAfterSeconds?: number;
  readonly withinSession?: boolean;
}

/**
 * The one error type the product throws on purpose: a code and a message, no transport. The HTTP filter maps the
 * code to a status (src/platform/http/error-status.ts); the CLI prints the code. Messages must never carry PHI:
 * they are logged and returned as they are.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    readonly hints?: ErrorHints,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One invalid field: where it is and which rules it broke. Never the value: it may be PHI. */
export interface FieldViolation {
  field: string;
  constraints: string[];
}

/** The request (body, parameters or query) broke a rule; each violation names a field and its rules. */
export function validationFailed(message: string, violations: readonly FieldViolation[]): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message, violations);
}

/** Seconds a client waits before retrying: outages of a dependency are expected to be brief. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export class NotFoundError extends AppError {
  constructor(resource = 'resource') {
    super(ErrorCode.NOT_FOUND, `The ${resource} does not exist.`);
  }
}

export class KeyServiceUnavailableError extends AppError {
  constructor(reason: string) {
    super(ErrorCode.KEY_SERVICE_UNAVAILABLE, 'The key service is unavailable; sealed data cannot be opened or written.', { reason });
  }
}

export class AuditUnavailableError extends AppError {
  constructor() {
    super(ErrorCode.AUDIT_UNAVAILABLE, 'The audit trail could not be written, so the request was not completed.', undefined, {
      retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
    });
  }
}

export class DependencyUnavailableError extends AppError {
  constructor(dependency: string) {
    super(ErrorCode.DEPENDENCY_UNAVAILABLE, `A required service is unavailable: ${dependency}.`, { dependency }, {
      retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
    });
  }
}

/** A sealed value that does not open under its own tenant, table, column and row: copied or tampered with. */
export class SealedDataIntegrityError extends AppError {
  constructor(location: { table: string; column: string; rowId: string }) {
    super(ErrorCode.SEALED_DATA_INTEGRITY, 'A sealed value failed its integrity check and was not opened.', location);
  }
}

export class TenantScopeViolationError extends AppError {
  constructor() {
    super(ErrorCode.TENANT_SCOPE_VIOLATION, 'The resource does not exist.');
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(ErrorCode.CONFLICT, message, details);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(ErrorCode.RATE_LIMITED, 'Too many attempts; try again later.', { retryAfterSeconds: seconds }, { retryAfterSeconds: seconds });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.', code: typeof ErrorCode.FORBIDDEN | typeof ErrorCode.MFA_ENROLMENT_REQUIRED = ErrorCode.FORBIDDEN) {
    super(code, message);
  }
}

export type UnauthenticatedReason = 'missing_token' | 'invalid_token' | 'session_ended';

/**
 * No usable access token. The reason (in the details) tells a client whether refreshing can help; never why a token
 * failed in detail. The HTTP layer derives WWW-Authenticate from it.
 */
export class UnauthenticatedError extends AppError {
  constructor(reason: UnauthenticatedReason) {
    super(ErrorCode.UNAUTHENTICATED, 'A valid access token is required.', { reason });
  }
}
