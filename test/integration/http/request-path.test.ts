import { Body, CanActivate, Controller, ForbiddenException, Get, Injectable, Param, ParseUUIDPipe, Post, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsString, MaxLength } from 'class-validator';
import { createHttpApp } from '../../../src/create-app';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { Public } from '../../../src/platform/auth/access.decorators';
import { AuditAction } from '../../../src/platform/http/http-audit';
import { PLATFORM_TENANT_ID } from '../../../src/platform/audit/audit-event';
import { NotFoundError } from '../../../src/platform/errors';
import { PersistenceKit } from '../../../src/platform/persistence/tenant-scoped.repository';
import { Platform } from '../../../src/platform/platform';
import { failingKms, healthyKms, kms, kmsKeyProvider } from '../../support/fake-kms';
import { asOwner, provisionTenant } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';

class EchoBody {
  @IsString() @MaxLength(20)
  text!: string;
}

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException();
  }
}

@Injectable()
class NoTokenGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException();
  }
}

/** Exercises the platform's request path; not part of the product. */
@Public()
@Controller('probe')
class ProbeController {
  private readonly users: UserRepository;
  constructor(kit: PersistenceKit) {
    this.users = new UserRepository(kit);
  }

  @Get('ok') @AuditAction('probe.read')
  ok(): { ok: true } { return { ok: true }; }

  @Get('missing')
  missing(): never { throw new NotFoundError('probe'); }

  @Get('forbidden') @UseGuards(DenyGuard)
  forbidden(): never { throw new Error('unreachable'); }

  @Get('unauthenticated') @UseGuards(NoTokenGuard)
  unauthenticated(): never { throw new Error('unreachable'); }

  @Get('broken')
  broken(): never { throw new Error('database said: duplicate key PHI-CANARY-42'); }

  @Post('echo')
  echo(@Body() body: EchoBody): EchoBody { return body; }

  @Get('users/:tenantId/:id')
  async user(@Param('tenantId', ParseUUIDPipe) tenantId: string, @Param('id', ParseUUIDPipe) id: string): Promise<{ role: string }> {
    const user = await this.users.findById(tenantId, id);
    if (!user) throw new NotFoundError('user');
    return { role: user.role };
  }
}

let platform: Platform;
let app: NestFastifyApplication;
beforeAll(async () => {
  healthyKms();
  platform = await createTestPlatform({ keyProvider: kmsKeyProvider() });
  app = await createHttpApp(platform, [ProbeController]);
});
afterAll(async () => {
  await app.close();
  kms.restore();
});

async function call(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const response = await app.getHttpAdapter().getInstance().inject({ method, url, payload: payload as string | object | undefined, headers });
  return { status: response.statusCode, headers: response.headers, body: response.body, json: () => JSON.parse(response.body) as Record<string, { code: string; requestId: string; details: unknown }> };
}

async function auditOf(requestId: string): Promise<{ action: string; outcome: string; details: Record<string, unknown>; tenant_id: string }[]> {
  return asOwner(async (owner) =>
    (await owner.query('SELECT action, outcome, details, tenant_id FROM audit_event WHERE request_id = $1', [requestId])).rows, platform);
}

describe('every request that reaches a controller is audited before it is answered', () => {
  it.each([
    ['GET', '/probe/ok', 200, 'success', 'probe.read'],
    ['GET', '/probe/missing', 404, 'denied', 'http.request'],
    ['GET', '/probe/forbidden', 403, 'denied', 'http.request'],
    ['GET', '/probe/unauthenticated', 401, 'denied', 'http.request'],
    ['GET', '/probe/broken', 500, 'failed', 'http.request'],
  ] as const)('%s %s → %i audited as %s', async (method, url, status, outcome, action) => {
    const requestId = `req-${Math.random().toString(36).slice(2)}`;
    const response = await call(method, url, undefined, { 'x-request-id': requestId });
    expect(response.status).toBe(status);
    expect(response.headers['x-request-id']).toBe(requestId);
    const rows = await auditOf(requestId);
    expect(rows).toEqual([{ action, outcome, tenant_id: PLATFORM_TENANT_ID, details: { method, route: url, status } }]);
  });

  it('answers a failure with the envelope, never a stack or the internal message', async () => {
    const response = await call('GET', '/probe/broken');
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: expect.any(String), details: null, requestId: expect.any(String) } });
    expect(response.body).not.toContain('PHI-CANARY');
    expect(response.body).not.toContain('at ');
  });

  it('rejects unknown fields and bad types with VALIDATION_FAILED, audited as failed', async () => {
    const requestId = `req-${Math.random().toString(36).slice(2)}`;
    const response = await call('POST', '/probe/echo', { text: 'hi', extra: 'nope' }, { 'x-request-id': requestId });
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(await auditOf(requestId)).toEqual([expect.objectContaining({ outcome: 'failed', details: expect.objectContaining({ status: 400 }) })]);
    expect((await call('POST', '/probe/echo', { text: 42 })).status).toBe(400);
    expect((await call('POST', '/probe/echo', '{not json', { 'content-type': 'application/json' })).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('does not audit health probes', async () => {
    const requestId = `req-${Math.random().toString(36).slice(2)}`;
    expect((await call('GET', '/health/live', undefined, { 'x-request-id': requestId })).status).toBe(200);
    expect(await auditOf(requestId)).toEqual([]);
  });

  it('serves the OpenAPI document at /docs-json', async () => {
    const response = await call('GET', '/docs-json');
    expect(response.status).toBe(200);
    expect(response.json()).toHaveProperty('openapi');
  });
});

describe('KMS outage over HTTP', () => {
  it('keeps warm keys serving and answers a cold key with 503 KEY_SERVICE_UNAVAILABLE', async () => {
    const warm = await provisionTenant(platform);
    const coldPlatform = await createTestPlatform({ keyProvider: kmsKeyProvider() });
    const cold = await provisionTenant(platform);
    const coldApp = await createHttpApp(coldPlatform, [ProbeController]);
    try {
      expect((await call('GET', `/probe/users/${warm.tenantId}/${warm.adminUserId}`)).status).toBe(200);
      // warm the platform-scope audit key of the second instance, then take KMS away
      expect((await coldApp.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/probe/ok' })).statusCode).toBe(200);
      failingKms();
      expect((await call('GET', `/probe/users/${warm.tenantId}/${warm.adminUserId}`)).json()).toEqual({ role: 'tenant_admin' });
      const response = await coldApp.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/probe/users/${cold.tenantId}/${cold.adminUserId}` });
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body).error.code).toBe('KEY_SERVICE_UNAVAILABLE');
      expect(response.body).not.toContain('tenant_admin');
    } finally {
      healthyKms();
      await coldApp.close();
    }
  });
});
