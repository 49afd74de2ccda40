import { Body, Controller, Get, Module, Param, Post, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsString, MaxLength } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors';
import type { ErrorEnvelope } from './error-envelope';
import { ERROR_AUDIT_HOOK, HttpErrorFilter, type ErrorAuditHook } from './error.filter';
import { fastifyOptions, registerHttpHardening, requestIdFrom } from './fastify-options';
import { createValidationPipe } from './validation';

const CANARY = 'PHI-CANARY-123';
const BODY_LIMIT_BYTES = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

class CreateNoteDto {
  @IsString()
  @MaxLength(2000)
  title!: string;
}

@Controller('notes')
class NotesController {
  @Post()
  create(@Body() note: CreateNoteDto): { title: string } {
    return { title: note.title };
  }

  @Get('by-id/:id')
  byId(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('boom')
  boom(): never {
    throw new Error(`connection to postgres failed for ${CANARY}`);
  }
}

@Module({})
class TestAppModule {
  static with(auditHook?: ErrorAuditHook): DynamicModule {
    return {
      module: TestAppModule,
      controllers: [NotesController],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        ...(auditHook ? [{ provide: ERROR_AUDIT_HOOK, useValue: auditHook }] : []),
      ],
    };
  }
}

async function boot(auditHook?: ErrorAuditHook): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter(fastifyOptions({ bodyLimitBytes: BODY_LIMIT_BYTES, trustProxy: false }));
  const app = await NestFactory.create<NestFastifyApplication>(TestAppModule.with(auditHook), adapter, { logger: false });
  app.useGlobalPipes(createValidationPipe());
  await registerHttpHardening(app);
  // A real ephemeral port rather than inject(): light-my-request needs the ESM-only `cookie` package, which
  // jest.config.js does not transform yet.
  await app.listen(0, '127.0.0.1');
  return app;
}

interface InjectedResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: string;
}

async function inject(
  app: NestFastifyApplication,
  request: { method: 'GET' | 'POST'; url: string; payload?: string; headers?: Record<string, string> },
): Promise<InjectedResponse> {
  const response = await fetch(new URL(request.url, await app.getUrl()), {
    method: request.method,
    body: request.payload,
    headers: request.headers,
  });
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

function envelopeOf(response: InjectedResponse): ErrorEnvelope['error'] {
  const parsed = JSON.parse(response.body) as ErrorEnvelope;
  expect(Object.keys(parsed)).toEqual(['error']);
  return parsed.error;
}

const postJson = (payload: string): { method: 'POST'; url: string; payload: string; headers: Record<string, string> } => ({
  method: 'POST',
  url: '/notes',
  payload,
  headers: { 'content-type': 'application/json' },
});

describe('HTTP error contract and hardening', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await boot();
  });

  afterAll(async () => {
    await app.close();
  });

  it('echoes a sane x-request-id and uses it in the envelope', async () => {
    const response = await inject(app, { method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'client-abc.1:2' } });

    expect(response.headers['x-request-id']).toBe('client-abc.1:2');
    expect(envelopeOf(response).requestId).toBe('client-abc.1:2');
  });

  it('generates a UUID request id when none is sent, or when the one sent is not a sane token', async () => {
    const absent = await inject(app, postJson('{"title":"x"}'));
    const hostile = await inject(app, { method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'a b<script>' } });

    expect(absent.statusCode).toBe(201);
    expect(absent.headers['x-request-id']).toMatch(UUID);
    expect(hostile.headers['x-request-id']).toMatch(UUID);
    expect(requestIdFrom({ headers: { 'x-request-id': 'x'.repeat(129) } })).toMatch(UUID);
  });

  it('answers an unknown route with a 404 envelope that does not echo the URL', async () => {
    const response = await inject(app, { method: 'GET', url: `/patients?email=${CANARY}` });

    expect(response.statusCode).toBe(404);
    expect(envelopeOf(response)).toMatchObject({ code: ErrorCode.NOT_FOUND, details: null });
    expect(response.body).not.toContain(CANARY);
  });

  it('answers an over-long path segment with 414 BAD_REQUEST and a malformed URL with 400, echoing neither', async () => {
    const tooLong = await inject(app, { method: 'GET', url: `/notes/by-id/${CANARY}${'x'.repeat(200)}` });
    expect(tooLong.statusCode).toBe(414);
    expect(envelopeOf(tooLong)).toMatchObject({ code: ErrorCode.BAD_REQUEST, message: 'A path segment is too long.', details: null });
    expect(tooLong.body).not.toContain(CANARY);

    const malformed = await inject(app, { method: 'GET', url: `/notes/by-id/${CANARY}%E0%A4%A` });
    expect(malformed.statusCode).toBe(400);
    expect(envelopeOf(malformed)).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, message: 'The URL is not valid.', details: null });
    expect(malformed.body).not.toContain(CANARY);
  });

  it('answers an oversize body with a 413 envelope', async () => {
    const response = await inject(app, postJson(JSON.stringify({ title: 'x'.repeat(BODY_LIMIT_BYTES) })));

    expect(response.statusCode).toBe(413);
    expect(envelopeOf(response).code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('answers malformed JSON with a 400 envelope', async () => {
    const response = await inject(app, postJson(`{"title": "${CANARY}"`));

    expect(response.statusCode).toBe(400);
    expect(envelopeOf(response).code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(response.body).not.toContain(CANARY);
  });

  it('answers an unsupported content type with a 415 envelope', async () => {
    const response = await inject(app, { method: 'POST', url: '/notes', payload: 'title', headers: { 'content-type': 'text/csv' } });

    expect(response.statusCode).toBe(415);
    expect(envelopeOf(response).code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('rejects an unknown field with 400 VALIDATION_FAILED naming the field only', async () => {
    const response = await inject(app, postJson(JSON.stringify({ title: 'x', email: CANARY })));

    expect(response.statusCode).toBe(400);
    expect(envelopeOf(response)).toMatchObject({
      code: ErrorCode.VALIDATION_FAILED,
      details: [{ field: 'email', constraints: ['whitelistValidation'] }],
    });
    expect(response.body).not.toContain(CANARY);
  });

  it('answers a thrown plain Error with 500 INTERNAL, no stack and no message', async () => {
    const response = await inject(app, { method: 'GET', url: '/notes/boom' });

    expect(response.statusCode).toBe(500);
    expect(envelopeOf(response)).toMatchObject({ code: ErrorCode.INTERNAL, message: 'An unexpected error occurred.' });
    expect(response.body).not.toContain(CANARY);
    expect(response.body).not.toMatch(/stack|at .*\.ts/);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('sets security headers and no-store on API answers', async () => {
    const response = await inject(app, { method: 'GET', url: '/notes/boom' });

    expect(response.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toContain('max-age=');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('relaxes the CSP and caching for /docs and caching for /.well-known only', async () => {
    const docs = await inject(app, { method: 'GET', url: '/docs/index.html' });
    const wellKnown = await inject(app, { method: 'GET', url: '/.well-known/jwks.json' });

    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['cache-control']).toBeUndefined();
    expect(wellKnown.headers['content-security-policy']).toContain("default-src 'none'");
    expect(wellKnown.headers['cache-control']).toBeUndefined();
  });
});

describe('HTTP error filter with an audit hook', () => {
  it('calls the hook with the request and status before answering', async () => {
    const calls: { url: string; status: number }[] = [];
    const app = await boot({
      onError: (request: FastifyRequest, status: number) => {
        calls.push({ url: request.url, status });
        return Promise.resolve();
      },
    });
    try {
      const response = await inject(app, { method: 'GET', url: '/notes/boom' });

      expect(response.statusCode).toBe(500);
      expect(calls).toEqual([{ url: '/notes/boom', status: 500 }]);
    } finally {
      await app.close();
    }
  });

  it('fails closed with 503 AUDIT_UNAVAILABLE when the hook rejects', async () => {
    const app = await boot({ onError: () => new Promise((_, reject) => setTimeout(() => reject(new Error('audit db down')), 5)) });
    try {
      const response = await inject(app, postJson(JSON.stringify({ title: 'x', extra: CANARY })));

      expect(response.statusCode).toBe(503);
      expect(envelopeOf(response)).toMatchObject({ code: ErrorCode.AUDIT_UNAVAILABLE, details: null });
      expect(response.headers['retry-after']).toBe('1');
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(response.body).not.toContain('audit db down');
    } finally {
      await app.close();
    }
  });
});
