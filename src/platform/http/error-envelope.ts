import { HttpException } from '@nestjs/common';
import { AppError, ErrorCode, type ErrorDetails } from '../errors';
import { hasHttpStatus, httpHeadersOf, httpStatusOf } from './error-status';

/** The one body every error answer carries. `details` is always present: `null` when there are none. */
export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    message: string;
    details: ErrorDetails | null;
    requestId: string;
  };
}

export interface ErrorResponse {
  status: number;
  body: ErrorEnvelope;
  headers?: Readonly<Record<string, string>>;
}

interface MappedError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

type Outcome = Omit<MappedError, 'status'>;

const INVALID_REQUEST: Outcome = { code: ErrorCode.VALIDATION_FAILED, message: 'The request is invalid.' };
const INVALID_JSON: Outcome = { code: ErrorCode.VALIDATION_FAILED, message: 'The request body is not valid JSON.' };
const OTHER_CLIENT_ERROR: Outcome = { code: ErrorCode.BAD_REQUEST, message: 'The request could not be processed.' };
const INTERNAL: MappedError = { status: 500, code: ErrorCode.INTERNAL, message: 'An unexpected error occurred.' };

/**
 * A Nest HttpException keeps the message our code gave it (`new BadRequestException('Nothing to change.')`); its
 * default text and Nest's router messages (`Cannot GET /x?email=…` echoes the URL) are replaced by ours.
 */
const PAYLOAD_TOO_LARGE: Outcome = { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'The request body is too large.' };
const UNSUPPORTED_MEDIA_TYPE: Outcome = {
  code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  message: 'The content type of the request is not supported.',
};

const OUTCOME_BY_STATUS: ReadonlyMap<number, Outcome> = new Map([
  [400, INVALID_REQUEST],
  [401, { code: ErrorCode.UNAUTHENTICATED, message: 'Authentication is required.' }],
  [403, { code: ErrorCode.FORBIDDEN, message: 'You are not allowed to do this.' }],
  [404, { code: ErrorCode.NOT_FOUND, message: 'The resource does not exist.' }],
  [405, { code: ErrorCode.METHOD_NOT_ALLOWED, message: 'This method is not allowed on this resource.' }],
  [406, { code: ErrorCode.NOT_ACCEPTABLE, message: 'No acceptable representation is available.' }],
  [409, { code: ErrorCode.CONFLICT, message: 'The request conflicts with the current state of the resource.' }],
  [412, { code: ErrorCode.PRECONDITION_FAILED, message: 'A precondition of the request failed.' }],
  [413, PAYLOAD_TOO_LARGE],
  [415, UNSUPPORTED_MEDIA_TYPE],
  [422, INVALID_REQUEST],
  [429, { code: ErrorCode.RATE_LIMITED, message: 'Too many requests; retry later.' }],
]);

const OUTCOME_BY_FASTIFY_CODE: ReadonlyMap<string, MappedError> = new Map([
  ['FST_ERR_CTP_BODY_TOO_LARGE', { status: 413, ...PAYLOAD_TOO_LARGE }],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', { status: 415, ...UNSUPPORTED_MEDIA_TYPE }],
  ['FST_ERR_CTP_INVALID_JSON_BODY', { status: 400, ...INVALID_JSON }],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', { status: 400, ...INVALID_JSON }],
]);

const DEPENDENCY_UNAVAILABLE: MappedError = {
  status: 503,
  code: ErrorCode.DEPENDENCY_UNAVAILABLE,
  message: 'A required service is unavailable.',
};

/** Maps anything thrown to the status and envelope the client gets. Pure: no logging, no I/O. */
export function toErrorResponse(exception: unknown, requestId: string): ErrorResponse {
  const { status, code, message, details } = mapException(exception);
  const headers = exception instanceof AppError && hasHttpStatus(exception.code) ? httpHeadersOf(exception) : undefined;
  return { status, body: { error: { code, message, details: details ?? null, requestId } }, ...(headers ? { headers } : {}) };
}

/** An answer the HTTP layer gives itself (Fastify's framework errors), with a status no AppError code carries. */
export function frameworkErrorResponse(status: number, code: ErrorCode, message: string, requestId: string): ErrorResponse {
  return { status, body: { error: { code, message, details: null, requestId } } };
}

function mapException(exception: unknown): MappedError {
  if (exception instanceof AppError) {
    const { code, message, details } = exception;
    return hasHttpStatus(code) ? { status: httpStatusOf(exception), code, message, details } : INTERNAL;
  }
  if (exception instanceof HttpException) {
    return fromFastifyError(exception.cause) ?? withExplicitMessage(fromStatus(exception.getStatus()), exception);
  }
  return fromFastifyError(exception) ?? fromBodyParserError(exception) ?? INTERNAL;
}

/** Nest answers an unmatched route with a 404 whose message repeats the method and URL. */
const ROUTER_NOT_FOUND = /^Cannot [A-Z]+ /;
const MAX_MESSAGE_LENGTH = 300;

/**
 * The message a controller chose, for client errors only. Nest fills in the status text (`Bad Request`) when none was
 * given and puts an `error` key beside a message only when one was; a string body is a message as given.
 */
function withExplicitMessage(mapped: MappedError, exception: HttpException): MappedError {
  if (mapped.status >= 500) return mapped;
  const body = exception.getResponse();
  const message = typeof body === 'string' ? body : 'error' in body ? (body as { message?: unknown }).message : undefined;
  if (typeof message !== 'string' || message.trim() === '' || message.length > MAX_MESSAGE_LENGTH || ROUTER_NOT_FOUND.test(message)) {
    return mapped;
  }
  return { ...mapped, message };
}

function fromStatus(status: number): MappedError {
  if (status === 503) {
    return DEPENDENCY_UNAVAILABLE;
  }
  if (status >= 400 && status < 500) {
    return { status, ...(OUTCOME_BY_STATUS.get(status) ?? OTHER_CLIENT_ERROR) };
  }
  return INTERNAL;
}

/** Fastify's own errors (body limit, content type, JSON parsing) carry a stable `code` and a status. */
function fromFastifyError(error: unknown): MappedError | undefined {
  if (!(error instanceof Error) || error.name !== 'FastifyError') {
    return undefined;
  }
  const known = OUTCOME_BY_FASTIFY_CODE.get(stringProperty(error, 'code') ?? '');
  if (known) {
    return known;
  }
  const status = statusCarriedBy(error);
  return status !== undefined && status < 500 ? fromStatus(status) : INTERNAL;
}

/**
 * Body parsers in the http-errors style (custom JSON parsers included) mark client errors with a 4xx status.
 * A bare SyntaxError carries none: it is as likely to come from JSON.parse on our own data, so it stays a 500.
 */
function fromBodyParserError(error: unknown): MappedError | undefined {
  const status = statusCarriedBy(error);
  if (status === undefined || status >= 500) {
    return undefined;
  }
  if (error instanceof SyntaxError) {
    return { status: 400, ...INVALID_JSON };
  }
  return fromStatus(status);
}

function statusCarriedBy(error: unknown): number | undefined {
  const status = numberProperty(error, 'statusCode') ?? numberProperty(error, 'status');
  return status !== undefined && isErrorStatus(status) ? status : undefined;
}

function isErrorStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 400 && status <= 599;
}

function numberProperty(value: unknown, key: string): number | undefined {
  const property = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof property === 'number' ? property : undefined;
}

function stringProperty(value: unknown, key: string): string | undefined {
  const property = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof property === 'string' ? property : undefined;
}
