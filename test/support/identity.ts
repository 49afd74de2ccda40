import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import { createHttpApp } from '../../src/create-app';
import { Platform } from '../../src/platform/platform';
import { provisionTenant, TEST_PASSWORD } from './fixtures';
import { createTestPlatform } from './test-platform';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Record<string, unknown>;
}

export interface TestTenant {
  tenantId: string;
  slug: string;
  adminUserId: string;
  adminEmail: string;
}

export interface CallOptions {
  token?: string;
  /** The client address Fastify sees (rate limits are per IP). */
  ip?: string;
  headers?: Record<string, string>;
}

/** A full HTTP app (guard, interceptors, identity) on a real platform, driven through Fastify's inject. */
export class TestApi {
  private constructor(readonly platform: Platform, readonly app: NestFastifyApplication) {}

  static async start(settings: NodeJS.ProcessEnv = {}): Promise<TestApi> {
    const platform = await createTestPlatform({}, settings);
    const app = await createHttpApp(platform);
    return new TestApi(platform, app);
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  async call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, options: CallOptions = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await this.app.inject({
      method,
      url,
      headers,
      remoteAddress: options.ip ?? '127.0.0.1',
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    const body = response.body.length > 0 && response.headers['content-type']?.toString().includes('json')
      ? (JSON.parse(response.body) as Record<string, unknown>) : {};
    return { status: response.statusCode, headers: response.headers, body };
  }

  async provisionTenant(): Promise<TestTenant> {
    const adminEmail = `admin-${Math.random().toString(36).slice(2)}@clinic.test`;
    const tenant = await provisionTenant(this.platform, adminEmail);
    return { ...tenant, adminEmail };
  }

  login(tenant: string, email: string, password = TEST_PASSWORD, options: CallOptions & { totp?: string } = {}): Promise<HttpAnswer> {
    return this.call('POST', '/v1/auth/login', { tenant, email, password, ...(options.totp ? { totp: options.totp } : {}) }, options);
  }

  /** Logs in and returns the token pair; fails the test on anything but 200. */
  async session(tenant: string, email: string, password = TEST_PASSWORD, options: CallOptions & { totp?: string } = {}): Promise<{ accessToken: string; refreshToken: string }> {
    const answer = await this.login(tenant, email, password, options);
    if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { accessToken: String(answer.body.accessToken), refreshToken: String(answer.body.refreshToken) };
  }

  /** Creates a user through the API as the tenant's admin. */
  async createUser(adminToken: string, role: 'member' | 'tenant_admin' | 'compliance_officer' = 'member', displayName = 'Test User'): Promise<{ id: string; email: string }> {
    const email = `user-${Math.random().toString(36).slice(2)}@clinic.test`;
    const answer = await this.call('POST', '/v1/users', { email, displayName, password: TEST_PASSWORD, role }, { token: adminToken });
    if (answer.status !== 201) throw new Error(`create user failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { id: String(answer.body.id), email };
  }
}

export function sessionIdOf(accessToken: string): string {
  return String(decodeJwt(accessToken).sid);
}

export function errorCode(answer: HttpAnswer): string | undefined {
  const error = answer.body.error as { code?: string } | undefined;
  return error?.code;
}
