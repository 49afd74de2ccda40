import { AppError, ErrorCode } from '../errors';

/**
 * The one place an error code becomes an HTTP status. A Record over every code: a new code without a status does
 * not compile. Codes are a contract, and so is each code's status.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.NOT_ACCEPTABLE]: 406,
  [ErrorCode.PRECONDITION_FAILED]: 412,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.INVALID_CREDENTIALS]: 401,
  [ErrorCode.MFA_REQUIRED]: 401,
  [ErrorCode.MFA_INVALID]: 401,
  [ErrorCode.MFA_ENROLMENT_REQUIRED]: 403,
  [ErrorCode.REFRESH_TOKEN_INVALID]: 401,
  [ErrorCode.REFRESH_TOKEN_REUSED]: 401,
  [ErrorCode.EMAIL_TAKEN]: 409,
  [ErrorCode.WEAK_PASSWORD]: 400,
  [ErrorCode.TENANT_SCOPE_VIOLATION]: 404,
  [ErrorCode.KEY_SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.AUDIT_UNAVAILABLE]: 503,
  [ErrorCode.DEPENDENCY_UNAVAILABLE]: 503,
  [ErrorCode.SEALED_DATA_INTEGRITY]: 500,
  [ErrorCode.OBJECT_RETAINED]: 409,
  [ErrorCode.REALTIME_PUBLISH_REJECTED]: 502,
  [ErrorCode.INVALID_MEMBER]: 422,
  [ErrorCode.DIRECT_CONVERSATION_FIXED]: 422,
  [ErrorCode.CONVERSATION_FULL]: 422,
  [ErrorCode.INVALID_SEQ]: 422,
  [ErrorCode.MESSAGE_DELETED]: 422,
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: 422,
  [ErrorCode.INVALID_ATTACHMENT]: 422,
  [ErrorCode.ATTACHMENT_TOO_LARGE]: 422,
  [ErrorCode.ATTACHMENT_TYPE_MISMATCH]: 422,
  [ErrorCode.ATTACHMENT_NOT_UPLOADED]: 422,
  [ErrorCode.INTERNAL]: 500,
};

/** False only for a code outside ErrorCode, which a cast can smuggle in. */
export function hasHttpStatus(code: string): code is ErrorCode {
  return Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}

const INTERNAL_STATUS = 500;

/**
 * The status of an AppError. The one per-instance exception: a 401 code raised on a request that already carries a
 * valid session (`hints.withinSession`, today MFA_INVALID on the MFA routes) answers 400, because a 401 there would
 * read as an expired access token. A code outside the table (only reachable by a cast) is a 500.
 */
export function httpStatusOf(error: AppError): number {
  const status = hasHttpStatus(error.code) ? HTTP_STATUS_BY_CODE[error.code] : INTERNAL_STATUS;
  return status === 401 && error.hints?.withinSession === true ? 400 : status;
}

/** The headers that belong to an AppError's answer: Retry-After from its hint, WWW-Authenticate for UNAUTHENTICATED. */
export function httpHeadersOf(error: AppError): Readonly<Record<string, string>> | undefined {
  const headers: Record<string, string> = {};
  const retryAfter = error.hints?.retryAfterSeconds;
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  if (error.code === ErrorCode.UNAUTHENTICATED) headers['WWW-Authenticate'] = bearerChallenge(error);
  return Object.keys(headers).length > 0 ? headers : undefined;
}

/** RFC 6750: a bare challenge when no token was sent; `invalid_token` when one was sent and is not usable. */
function bearerChallenge(error: AppError): string {
  const reason = error.details !== undefined && !Array.isArray(error.details) ? (error.details as Record<string, unknown>).reason : undefined;
  return reason === 'missing_token' ? 'Bearer' : 'Bearer error="invalid_token"';
}
