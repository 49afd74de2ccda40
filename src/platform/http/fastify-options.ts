import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { AppError, ErrorCode } from '../errors';
import { frameworkErrorResponse, toErrorResponse } from './error-envelope';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Anything else (long, spaces, quotes, newlines) could forge log lines or bloat them: replaced, not trusted. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface HttpServerConfig {
  bodyLimitBytes: number;
  trustProxy: boolean;
}

/** The caller's `x-request-id` when it is a sane token, else a new UUID. Fastify's `request.id` comes from here. */
export function requestIdFrom(request: { headers: IncomingHttpHeaders }): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function fastifyOptions(config: HttpServerConfig): FastifyServerOptions {
  return {
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Fastify would copy the header unchecked; genReqId validates it instead.
    requestIdHeader: false,
    genReqId: requestIdFrom,
    // pino-http (nestjs-pino) writes the access log; Fastify's top-level `disableRequestLogging` is deprecated.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify answers a malformed URL or an over-long path segment itself, echoing the path: use the envelope.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      // 414 has no code of its own: BAD_REQUEST is the code of a 4xx without a more specific one.
      const { status, body } = tooLong
        ? frameworkErrorResponse(414, ErrorCode.BAD_REQUEST, 'A path segment is too long.', String(request.id))
        : toErrorResponse(new AppError(ErrorCode.VALIDATION_FAILED, 'The URL is not valid.'), String(request.id));
      void reply.status(status).header(REQUEST_ID_HEADER, request.id).header('cache-control', 'no-store')
        .type('application/json; charset=utf-8').send(body);
    },
  };
}

/** A JSON API renders nothing, so its pages may load nothing. */
const API_CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/** Swagger UI loads its own scripts and styles from /docs and writes inline styles. */
const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Call before `app.init()`/`app.listen()`: Fastify refuses hooks once it is ready. */
export async function registerHttpHardening(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: API_CONTENT_SECURITY_POLICY,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
      setResponseHeaders(request, reply);
      done(null, payload);
    });
}

function setResponseHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const path = pathOf(request.url);
  reply.header(REQUEST_ID_HEADER, request.id);
  if (isDocsPath(path)) {
    // reply.header() wins over the header helmet set on the raw response.
    reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
    return;
  }
  if (!path.startsWith('/.well-known/')) {
    // Answers carry PHI: no browser, proxy or CDN may keep a copy.
    reply.header('cache-control', 'no-store');
  }
}

function pathOf(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

function isDocsPath(path: string): boolean {
  return /^\/docs(?:[/-]|$)/.test(path);
}
