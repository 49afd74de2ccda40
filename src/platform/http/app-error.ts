import { ErrorCode } from './error-codes';

export type ErrorDetails = Record<string, unknown> | readonly unknown[];

/**
 * The one error type the product throws on purpose. The HTTP filter maps it to the error envelope;
 * the CLI prints its code. Messages must never carry PHI: they are logged and returned as they are.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: ErrorDetails,
    /** Response headers that belong to this answer (Retry-After, WWW-Authenticate). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Seconds a client waits before retrying a 503: outages of a dependency are expected to be brief. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export class NotFoundError extends AppError {
  constructor(resource = 'resource') {
    super(ErrorCode.NOT_FOUND, 404, `The ${resource} does not exist.`);
  }
}

export class KeyServiceUnavailableError extends AppError {
  constructor(reason: string) {
    super(ErrorCode.KEY_SERVICE_UNAVAILABLE, 503, 'The key service is unavailable; sealed data cannot be opened or written.', { reason });
  }
}

export class AuditUnavailableError extends AppError {
  constructor() {
    super(ErrorCode.AUDIT_UNAVAILABLE, 503, 'The audit trail could not be written, so the request was not completed.', undefined, {
      'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS),
    });
  }
}

export class DependencyUnavailableError extends AppError {
  constructor(dependency: string) {
    super(ErrorCode.DEPENDENCY_UNAVAILABLE, 503, `A required service is unavailable: ${dependency}.`, { dependency }, {
      'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS),
    });
  }
}

/** A sealed value that does not open under its own tenant, table, column and row: copied or tampered with. */
export class SealedDataIntegrityError extends AppError {
  constructor(location: { table: string; column: string; rowId: string }) {
    super(ErrorCode.SEALED_DATA_INTEGRITY, 500, 'A sealed value failed its integrity check and was not opened.', location);
  }
}

export class TenantScopeViolationError extends AppError {
  constructor() {
    super(ErrorCode.TENANT_SCOPE_VIOLATION, 404, 'The resource does not exist.');
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(ErrorCode.CONFLICT, 409, message, details);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(ErrorCode.RATE_LIMITED, 429, 'Too many attempts; try again later.', { retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.', code: ErrorCode = ErrorCode.FORBIDDEN) {
    super(code, 403, message);
  }
}

export type UnauthenticatedReason = 'missing_token' | 'invalid_token' | 'session_ended';

/** No usable access token. The reason tells a client whether refreshing can help; never why a token failed in detail. */
export class UnauthenticatedError extends AppError {
  constructor(reason: UnauthenticatedReason) {
    super(ErrorCode.UNAUTHENTICATED, 401, 'A valid access token is required.', { reason }, {
      'WWW-Authenticate': reason === 'missing_token' ? 'Bearer' : 'Bearer error="invalid_token"',
    });
  }
}
