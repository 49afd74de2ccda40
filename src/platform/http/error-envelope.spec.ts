import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GoneException,
  HttpException,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { AppError, ErrorCode, KeyServiceUnavailableError, NotFoundError, RateLimitedError, UnauthenticatedError } from '../errors';
import { toErrorResponse } from './error-envelope';

const REQUEST_ID = 'req-123';

class FastifyStyleError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'FastifyError';
  }
}

describe('toErrorResponse', () => {
  it('answers an AppError with its own code, status, message and details', () => {
    const error = new AppError(ErrorCode.CONFLICT, 'The channel name is taken.', { field: 'name' });

    expect(toErrorResponse(error, REQUEST_ID)).toEqual({
      status: 409,
      body: {
        error: { code: 'CONFLICT', message: 'The channel name is taken.', details: { field: 'name' }, requestId: REQUEST_ID },
      },
    });
  });

  it('always has a details key, null when there are none', () => {
    const { body } = toErrorResponse(new NotFoundError('channel'), REQUEST_ID);

    expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
    expect(body.error.details).toBeNull();
  });

  it('keeps the status and code of 5xx AppErrors', () => {
    const { status, body } = toErrorResponse(new KeyServiceUnavailableError('kms throttled'), REQUEST_ID);

    expect(status).toBe(503);
    expect(body.error.code).toBe(ErrorCode.KEY_SERVICE_UNAVAILABLE);
  });

  it.each([
    [new BadRequestException('bad'), 400, ErrorCode.VALIDATION_FAILED],
    [new UnauthorizedException(), 401, ErrorCode.UNAUTHENTICATED],
    [new ForbiddenException(), 403, ErrorCode.FORBIDDEN],
    [new NotFoundException(), 404, ErrorCode.NOT_FOUND],
    [new MethodNotAllowedException(), 405, ErrorCode.METHOD_NOT_ALLOWED],
    [new ConflictException(), 409, ErrorCode.CONFLICT],
    [new GoneException(), 410, ErrorCode.BAD_REQUEST],
    [new PayloadTooLargeException(), 413, ErrorCode.PAYLOAD_TOO_LARGE],
    [new UnsupportedMediaTypeException(), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    [new UnprocessableEntityException(), 422, ErrorCode.VALIDATION_FAILED],
    [new HttpException('slow down', 429), 429, ErrorCode.RATE_LIMITED],
    [new ServiceUnavailableException(), 503, ErrorCode.DEPENDENCY_UNAVAILABLE],
    [new HttpException('teapot', 500), 500, ErrorCode.INTERNAL],
  ])('maps %p to %i %s', (exception, status, code) => {
    const response = toErrorResponse(exception, REQUEST_ID);

    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.requestId).toBe(REQUEST_ID);
  });

  it("never repeats Nest's route-not-found message, which echoes the URL and its query", () => {
    const { status, body } = toErrorResponse(new NotFoundException('Cannot GET /patients?email=jane@example.com'), REQUEST_ID);

    expect(status).toBe(404);
    expect(body.error.code).toBe(ErrorCode.NOT_FOUND);
    expect(JSON.stringify(body)).not.toContain('jane@example.com');
  });

  it('keeps the message a controller gave a Nest HttpException', () => {
    const { status, body } = toErrorResponse(new BadRequestException('Nothing to change.'), REQUEST_ID);

    expect(status).toBe(400);
    expect(body.error).toEqual({ code: ErrorCode.VALIDATION_FAILED, message: 'Nothing to change.', details: null, requestId: REQUEST_ID });
    expect(toErrorResponse(new HttpException('Pick another slot.', 409), REQUEST_ID).body.error.message).toBe('Pick another slot.');
  });

  it("uses our message when the exception carries only Nest's status text, a list, or is a 5xx", () => {
    expect(toErrorResponse(new BadRequestException(), REQUEST_ID).body.error.message).toBe('The request is invalid.');
    expect(toErrorResponse(new UnauthorizedException(), REQUEST_ID).body.error.message).toBe('Authentication is required.');
    expect(toErrorResponse(new BadRequestException(['a', 'b']), REQUEST_ID).body.error.message).toBe('The request is invalid.');
    expect(toErrorResponse(new HttpException('pool exhausted at db-7', 500), REQUEST_ID).body.error.message).toBe('An unexpected error occurred.');
  });

  it('maps a Fastify body-too-large error, raw or wrapped by the adapter, to 413', () => {
    const raw = new FastifyStyleError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large');
    const wrapped = new HttpException(raw.message, 413, { cause: raw });

    for (const exception of [raw, wrapped]) {
      const { status, body } = toErrorResponse(exception, REQUEST_ID);
      expect(status).toBe(413);
      expect(body.error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    }
  });

  it('maps invalid and empty JSON bodies to 400 VALIDATION_FAILED', () => {
    const invalid = new FastifyStyleError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Body is not valid JSON');
    const empty = new FastifyStyleError('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Body cannot be empty');
    const fromAdapter = new HttpException(invalid.message, 400, { cause: invalid });

    for (const exception of [invalid, empty, fromAdapter]) {
      const { status, body } = toErrorResponse(exception, REQUEST_ID);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, message: 'The request body is not valid JSON.' });
    }
  });

  it('maps a SyntaxError a JSON body parser marked as a 400 to VALIDATION_FAILED', () => {
    const parserError = Object.assign(new SyntaxError('Unexpected token } in JSON at position 12'), { statusCode: 400 });

    const { status, body } = toErrorResponse(parserError, REQUEST_ID);

    expect(status).toBe(400);
    expect(body.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(body.error.message).not.toContain('position');
  });

  it('treats a bare SyntaxError as our own fault: 500', () => {
    const { status, body } = toErrorResponse(new SyntaxError('Unexpected token'), REQUEST_ID);

    expect(status).toBe(500);
    expect(body.error.code).toBe(ErrorCode.INTERNAL);
  });

  it('maps an unsupported media type to 415', () => {
    const { status, body } = toErrorResponse(
      new FastifyStyleError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'),
      REQUEST_ID,
    );

    expect(status).toBe(415);
    expect(body.error.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('answers an unknown error with 500 INTERNAL, a generic message, and nothing of the original', () => {
    const error = new Error('duplicate key (email)=(PHI-CANARY-123) violates unique constraint');

    const { status, body } = toErrorResponse(error, REQUEST_ID);
    const serialized = JSON.stringify(body);

    expect(status).toBe(500);
    expect(body.error).toEqual({
      code: ErrorCode.INTERNAL,
      message: 'An unexpected error occurred.',
      details: null,
      requestId: REQUEST_ID,
    });
    expect(serialized).not.toContain('PHI-CANARY-123');
    expect(serialized).not.toContain('stack');
  });

  it.each([['a string'], [{ secret: 'PHI-CANARY-123' }], [null], [undefined]])('answers a thrown %p with 500 INTERNAL', (thrown) => {
    const { status, body } = toErrorResponse(thrown, REQUEST_ID);

    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('PHI-CANARY-123');
  });

  it('answers an AppError whose code has no status (only reachable by a cast) as 500 INTERNAL, without its message', () => {
    const { status, body, headers } = toErrorResponse(new AppError('NOT_A_CODE' as ErrorCode, 'odd', undefined, { retryAfterSeconds: 5 }), REQUEST_ID);

    expect(status).toBe(500);
    expect(body.error).toMatchObject({ code: ErrorCode.INTERNAL, message: 'An unexpected error occurred.', details: null });
    expect(headers).toBeUndefined();
  });

  it('sends the headers the status table derives: Retry-After, WWW-Authenticate', () => {
    expect(toErrorResponse(new RateLimitedError(2.5), REQUEST_ID)).toMatchObject({ status: 429, headers: { 'Retry-After': '3' } });
    expect(toErrorResponse(new UnauthenticatedError('missing_token'), REQUEST_ID)).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    expect(toErrorResponse(new NotFoundError('channel'), REQUEST_ID)).not.toHaveProperty('headers');
  });
});
