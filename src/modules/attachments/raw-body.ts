import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bodyTooLarge, unsupportedContentType } from './attachment-errors';

/**
 * Routes whose request body arrives as raw bytes whatever its content type (uploads through signed links), with a
 * body limit decided per request before a byte of the body is read; every other route keeps the global parsers and
 * the global BODY_LIMIT_BYTES.
 *
 * Fastify picks a body parser by content type for the whole instance (Nest registers every route on the root), so a
 * raw-body route's preParsing hook admits the request (or refuses it), then relabels its content type to a private
 * one whose parser reads the bytes up to the admitted limit. That parser refuses every route not marked raw-body,
 * exactly as an unknown content type is refused today (415).
 */
const RAW_BODY_ROUTE = 'sealedChannelsRawBody';
const RAW_MEDIA_TYPE = 'application/x-sealed-channels-raw';

/** Marks a route whose body is read raw (a Buffer in request.body), up to the limit its admission grants. */
export const RawBody = (): MethodDecorator => RouteConfig({ [RAW_BODY_ROUTE]: true });

/** Decides before the body is read whether the request may send one, and how many bytes at most; throws to refuse. */
export type AdmitRawBody = (request: FastifyRequest) => Promise<number>;

const admittedLimits = new WeakMap<FastifyRequest, number>();

function isRawBodyRoute(request: FastifyRequest): boolean {
  const config: unknown = request.routeOptions.config;
  return typeof config === 'object' && config !== null && RAW_BODY_ROUTE in config && config[RAW_BODY_ROUTE] === true;
}

/** Call before the Fastify instance is ready (Nest's onModuleInit is). Registers once per instance. */
export function registerRawBodyRoutes(fastify: FastifyInstance, admit: AdmitRawBody): void {
  if (fastify.hasContentTypeParser(RAW_MEDIA_TYPE)) return;

  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (!isRawBodyRoute(request)) return payload;
    admittedLimits.set(request, await admit(request));
    request.raw.headers['content-type'] = RAW_MEDIA_TYPE;
    return payload;
  });

  fastify.addContentTypeParser(RAW_MEDIA_TYPE, async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const limit = admittedLimits.get(request);
    if (!isRawBodyRoute(request) || limit === undefined) {
      throw unsupportedContentType();
    }
    return readLimited(payload, limit, Number(request.headers['content-length']));
  });
}

/** The whole body, refused (413) as soon as it is announced or found to exceed the limit. */
function readLimited(payload: NodeJS.ReadableStream, limit: number, announcedLength: number): Promise<Buffer> {
  if (Number.isFinite(announcedLength) && announcedLength > limit) return Promise.reject(bodyTooLarge());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (): void => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      payload.removeListener('close', onClose);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit) {
        stop();
        reject(bodyTooLarge());
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: unknown): void => {
      stop();
      reject(error instanceof Error ? error : new Error('request body stream failed'));
    };
    // Closed before its end: the client went away mid-upload.
    const onClose = (): void => onError(new Error('request body ended early'));
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
  });
}
