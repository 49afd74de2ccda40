import {
  AppError,
  AuditUnavailableError,
  DependencyUnavailableError,
  ErrorCode,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from '../errors';
import { hasHttpStatus, HTTP_STATUS_BY_CODE, httpHeadersOf, httpStatusOf } from './error-status';

describe('HTTP_STATUS_BY_CODE', () => {
  it('gives every code a 4xx or 5xx status, and names no code that does not exist', () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) {
      expect({ code, status: Number.isInteger(status) && status >= 400 && status <= 599 }).toEqual({ code, status: true });
    }
  });

  it.each<[AppError, number]>([
    [new NotFoundError('channel'), 404],
    [new ForbiddenError(), 403],
    [new ForbiddenError('Enrol first.', ErrorCode.MFA_ENROLMENT_REQUIRED), 403],
    [new UnauthenticatedError('invalid_token'), 401],
    [new RateLimitedError(1), 429],
    [new DependencyUnavailableError('cache'), 503],
    [new AuditUnavailableError(), 503],
    [new AppError(ErrorCode.CONVERSATION_FULL, 'full'), 422],
    [new AppError(ErrorCode.REALTIME_PUBLISH_REJECTED, 'rejected'), 502],
  ])('answers %p with %i', (error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });

  it('answers a 401 code raised within a session with 400 (a 401 would read as an expired access token)', () => {
    expect(httpStatusOf(new AppError(ErrorCode.MFA_INVALID, 'bad code'))).toBe(401);
    expect(httpStatusOf(new AppError(ErrorCode.MFA_INVALID, 'bad code', undefined, { withinSession: true }))).toBe(400);
    // The hint only turns a 401 into a 400: other statuses stay what the table says.
    expect(httpStatusOf(new AppError(ErrorCode.FORBIDDEN, 'no', undefined, { withinSession: true }))).toBe(403);
  });

  it('answers a code outside the table (only reachable by a cast) with 500', () => {
    const smuggled = new AppError('NOT_A_CODE' as ErrorCode, 'odd');
    expect(hasHttpStatus(smuggled.code)).toBe(false);
    expect(httpStatusOf(smuggled)).toBe(500);
  });
});

describe('httpHeadersOf', () => {
  it('derives Retry-After from the retryAfterSeconds hint', () => {
    expect(httpHeadersOf(new RateLimitedError(2.2))).toEqual({ 'Retry-After': '3' });
    expect(httpHeadersOf(new RateLimitedError(0))).toEqual({ 'Retry-After': '1' });
    expect(httpHeadersOf(new DependencyUnavailableError('database'))).toEqual({ 'Retry-After': '1' });
    expect(httpHeadersOf(new AuditUnavailableError())).toEqual({ 'Retry-After': '1' });
  });

  it('derives WWW-Authenticate for UNAUTHENTICATED from the reason in the details', () => {
    expect(httpHeadersOf(new UnauthenticatedError('missing_token'))).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(httpHeadersOf(new UnauthenticatedError('invalid_token'))).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    expect(httpHeadersOf(new UnauthenticatedError('session_ended'))).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  });

  it('sends no headers for an error without hints or challenge', () => {
    expect(httpHeadersOf(new NotFoundError())).toBeUndefined();
    expect(httpHeadersOf(new AppError(ErrorCode.INVALID_CREDENTIALS, 'no'))).toBeUndefined();
  });
});
