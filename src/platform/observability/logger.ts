import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { requestIdFrom } from '../http/fastify-options';

export const REDACTED = '[REDACTED]';

/** Keys whose values are credentials or PHI wherever they appear in a log line. */
export const SENSITIVE_LOG_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'token',
  'refreshToken',
  'accessToken',
  'body',
  'email',
  'displayName',
  'title',
  'fileName',
] as const;

/** pino paths match fixed depths only: these cover what code logs; scrubSensitiveKeys covers the rest. */
const REDACT_PATH_DEPTH = 4;

export const REDACT_PATHS: readonly string[] = SENSITIVE_LOG_KEYS.flatMap((key) =>
  Array.from({ length: REDACT_PATH_DEPTH + 1 }, (_, depth) => `${'*.'.repeat(depth)}${pathSegment(key)}`.replace('.[', '[')),
);

export interface LoggerConfig {
  level: string;
  /** Human-readable lines for local runs; needs the pino-pretty package, stays JSON without it. */
  pretty?: boolean;
}

/** For LoggerModule.forRoot(): pino-http access lines and request-scoped app logs, each carrying `requestId`. */
export function loggerModuleOptions(config: LoggerConfig): Params {
  return {
    pinoHttp: {
      ...baseLoggerOptions(config.level),
      transport: prettyTransport(config.pretty),
      // Fastify has set `id` already (middie copies it to the raw request); this only covers a request it did not see.
      genReqId: (request: IncomingMessage) => (typeof request.id === 'string' ? request.id : requestIdFrom(request)),
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
      // The error filter has logged the real error; pino-http's stand-in ("failed with status code 500") adds a stack of its own.
      customErrorObject: (_request, _response, _error, line: Record<string, unknown>) => ({ ...line, err: undefined }),
      wrapSerializers: false,
    },
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}

/** The same JSON shape and redaction, outside HTTP: CLI commands and jobs. */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(baseLoggerOptions(level), destination) : pino(baseLoggerOptions(level));
}

function baseLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { req: serializeRequest, res: serializeResponse, err: serializeError },
    formatters: {
      level: (label) => ({ level: label }),
      log: scrubSensitiveKeys,
    },
  };
}

function prettyTransport(pretty: boolean | undefined): LoggerOptions['transport'] {
  if (!pretty) {
    return undefined;
  }
  try {
    require.resolve('pino-pretty');
    return { target: 'pino-pretty' };
  } catch {
    return undefined;
  }
}

/** Method, path and user agent. No query string (`?email=` is PHI), no body, no other header. */
export function serializeRequest(request: unknown): { method?: string; url?: string; userAgent?: string } {
  if (!isRecord(request)) {
    return {};
  }
  const url = stringOrUndefined(request.originalUrl) ?? stringOrUndefined(request.url);
  const userAgent = isRecord(request.headers) ? stringOrUndefined(request.headers['user-agent']) : undefined;
  return { method: stringOrUndefined(request.method), url: url?.split('?')[0], userAgent };
}

export function serializeResponse(response: unknown): { statusCode?: number } {
  const statusCode = isRecord(response) ? response.statusCode : undefined;
  return { statusCode: typeof statusCode === 'number' ? statusCode : undefined };
}

interface SerializedError {
  type: string;
  message?: string;
  code?: string;
  stack?: string;
  cause?: SerializedError;
}

/**
 * Type, message, code, stack and cause only: other properties of library errors hold values (pg's `detail`
 * repeats the row, `parameters` the bound values). A thrown non-Error is named, never printed.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { type: typeof error };
  }
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    code: typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
    stack: error.stack,
    cause: depth < 2 && error.cause !== undefined ? serializeError(error.cause, depth + 1) : undefined,
  };
}

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
const NORMALIZED_SENSITIVE_KEYS: ReadonlySet<string> = new Set(SENSITIVE_LOG_KEYS.map(normalizeKey));
const SEALED_KEY = /(Sealed|_sealed)$/;
const MAX_SCRUB_DEPTH = 8;

export function isSensitiveLogKey(key: string): boolean {
  return SEALED_KEY.test(key) || NORMALIZED_SENSITIVE_KEYS.has(normalizeKey(key));
}

/**
 * The net behind `redact`, run on what is logged before the serializers, at every depth and in every casing
 * (`Authorization`, `refresh_token`) and the `…Sealed` suffix, which redact paths cannot express.
 * Copies; never mutates what the caller logged.
 */
export function scrubSensitiveKeys(logged: Record<string, unknown>): Record<string, unknown> {
  return scrubObject(logged, 0, new WeakSet());
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null || !isPlainData(value)) {
    return value;
  }
  if (depth >= MAX_SCRUB_DEPTH || seen.has(value)) {
    return '[Truncated]';
  }
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((item: unknown) => scrub(item, depth + 1, seen));
  }
  return scrubObject(value as Record<string, unknown>, depth, seen);
}

function scrubObject(value: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  seen.add(value);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSensitiveLogKey(key) ? REDACTED : scrub(item, depth + 1, seen);
  }
  return copy;
}

/** Errors, requests, responses, buffers and anything with toJSON are left to the serializers and `redact`. */
function isPlainData(value: object): boolean {
  return !(
    value instanceof Error ||
    value instanceof Date ||
    value instanceof EventEmitter ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

function pathSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
