import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { RequestMethod, type LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { requestIdFrom } from '../http/fastify-options';

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are credentials or request content wherever they appear in a log line. PHI keys are not listed
 * here: they come from the tables' sealed columns (sealedLogKeys), so a new sealed column is redacted without an edit.
 */
export const CREDENTIAL_LOG_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'token',
  'refreshToken',
  'accessToken',
  'body',
] as const;

/** What the logger needs of a table definition (platform/persistence/table-definition.ts) to find its PHI. */
export interface SealedColumnSource {
  readonly table: string;
  readonly columns: { readonly [property: string]: { readonly column: string; readonly sealed?: boolean } };
}

/** The property and column names of every sealed column: the record's key and the row's key both carry PHI. */
export function sealedLogKeys(tables: readonly SealedColumnSource[]): string[] {
  const keys = tables.flatMap((table) =>
    Object.entries(table.columns).flatMap(([property, spec]) => (spec.sealed === true ? [property, spec.column] : [])),
  );
  return [...new Set(keys)].sort();
}

/** pino paths match fixed depths only: these cover what code logs; scrubSensitiveKeys covers the rest. */
const REDACT_PATH_DEPTH = 4;

/** `…_sealed` column names need no paths of their own: the scrub matches the suffix at any depth. */
function redactPaths(keys: readonly string[]): string[] {
  return keys.filter((key) => !SEALED_KEY.test(key)).flatMap((key) =>
    Array.from({ length: REDACT_PATH_DEPTH + 1 }, (_, depth) => `${'*.'.repeat(depth)}${pathSegment(key)}`.replace('.[', '[')),
  );
}

export interface LoggerConfig {
  level: string;
  /**
   * sealedLogKeys() of every table with PHI (src/sealed-tables.ts). Required, so that no logger is built without
   * them; the logger does not import the modules' tables itself (platform code stands below the modules).
   */
  sealedKeys: readonly string[];
  /** Human-readable lines for local runs; needs the pino-pretty package, stays JSON without it. */
  pretty?: boolean;
}

/** For LoggerModule.forRoot(): pino-http access lines and request-scoped app logs, each carrying `requestId`. */
export function loggerModuleOptions(config: LoggerConfig): Params {
  return {
    pinoHttp: {
      ...baseLoggerOptions(config),
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
export function createRootLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  return destination ? pino(baseLoggerOptions(config), destination) : pino(baseLoggerOptions(config));
}

function baseLoggerOptions({ level, sealedKeys }: LoggerConfig): LoggerOptions {
  const keys = [...CREDENTIAL_LOG_KEYS, ...sealedKeys];
  const isSensitive = sensitiveKeyTest(keys);
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(keys), censor: REDACTED },
    serializers: { req: serializeRequest, res: serializeResponse, err: serializeError },
    formatters: {
      level: (label) => ({ level: label }),
      log: (logged) => scrubSensitiveKeys(logged, isSensitive),
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

/**
 * Nest's own boot chatter: a line per module initialised, per controller and per route mapped (fifty-odd lines at
 * `info` on every start). The route list is a debug matter; an operator reads the embedded-default notices, the
 * migrations and the ready line.
 */
export const NEST_BOOT_CHATTER_CONTEXTS: ReadonlySet<string> = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The Nest logger bridge: passes everything through, but logs Nest's boot chatter at debug instead of info. */
export class OperatorBootLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && NEST_BOOT_CHATTER_CONTEXTS.has(context)) {
      this.debug(message, ...optionalParams);
      return;
    }
    this.inner.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.debug?.(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.verbose?.(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.fatal?.(message, ...optionalParams);
  }
}

/**
 * Method and path. No query string (`?email=` is PHI), no body, no header: not even the user agent, which sessions
 * store sealed.
 */
export function serializeRequest(request: unknown): { method?: string; url?: string } {
  if (!isRecord(request)) {
    return {};
  }
  const url = stringOrUndefined(request.originalUrl) ?? stringOrUndefined(request.url);
  return { method: stringOrUndefined(request.method), url: url?.split('?')[0] };
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
const SEALED_KEY = /(Sealed|_sealed)$/;
const MAX_SCRUB_DEPTH = 8;

type KeyTest = (key: string) => boolean;

/** Matches the keys in every casing (`Authorization`, `refresh_token`, `display_name`) and any `…Sealed` key. */
export function sensitiveKeyTest(keys: readonly string[]): KeyTest {
  const normalized: ReadonlySet<string> = new Set(keys.map(normalizeKey));
  return (key) => SEALED_KEY.test(key) || normalized.has(normalizeKey(key));
}

/**
 * The net behind `redact`, run on what is logged before the serializers, at every depth and in every casing and the
 * `…Sealed` suffix, which redact paths cannot express. Copies; never mutates what the caller logged.
 */
export function scrubSensitiveKeys(logged: Record<string, unknown>, isSensitive: KeyTest): Record<string, unknown> {
  return scrubObject(logged, 0, new WeakSet(), isSensitive);
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>, isSensitive: KeyTest): unknown {
  if (typeof value !== 'object' || value === null || !isPlainData(value)) {
    return value;
  }
  if (depth >= MAX_SCRUB_DEPTH || seen.has(value)) {
    return '[Truncated]';
  }
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((item: unknown) => scrub(item, depth + 1, seen, isSensitive));
  }
  return scrubObject(value as Record<string, unknown>, depth, seen, isSensitive);
}

function scrubObject(value: Record<string, unknown>, depth: number, seen: WeakSet<object>, isSensitive: KeyTest): Record<string, unknown> {
  seen.add(value);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSensitive(key) ? REDACTED : scrub(item, depth + 1, seen, isSensitive);
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
