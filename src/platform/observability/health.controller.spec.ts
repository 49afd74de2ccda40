import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Module, type DynamicModule } from '@nestjs/common';
import { SKIP_HTTP_AUDIT } from '../http/skip-http-audit.decorator';
import { HealthController, checkReadiness } from './health.controller';
import { HEALTH_INDICATORS, type HealthIndicator } from './health-indicator';

const up = (component: string, backend: string): HealthIndicator => ({ component, check: () => Promise.resolve({ backend }) });
const down = (component: string, error: Error): HealthIndicator => ({ component, check: () => Promise.reject(error) });
const hanging = (component: string): HealthIndicator => ({ component, check: () => new Promise(() => undefined) });

@Module({})
class HealthTestModule {
  static with(indicators?: HealthIndicator[]): DynamicModule {
    return {
      module: HealthTestModule,
      controllers: [HealthController],
      providers: indicators ? [{ provide: HEALTH_INDICATORS, useValue: indicators }] : [],
    };
  }
}

async function get(indicators: HealthIndicator[] | undefined, path: string): Promise<{ status: number; body: unknown }> {
  const app = await NestFactory.create<NestFastifyApplication>(HealthTestModule.with(indicators), new FastifyAdapter(), {
    logger: false,
  });
  try {
    await app.listen(0, '127.0.0.1');
    const response = await fetch(new URL(path, await app.getUrl()));
    return { status: response.status, body: await response.json() };
  } finally {
    await app.close();
  }
}

describe('HealthController', () => {
  it('answers liveness without running any check', async () => {
    const check = jest.fn();

    const response = await get([{ component: 'database', check }], '/health/live');

    expect(response).toEqual({ status: 200, body: { status: 'ok' } });
    expect(check).not.toHaveBeenCalled();
  });

  it('answers 200 with every component up', async () => {
    const response = await get([up('database', 'postgres'), up('cache', 'redis')], '/health/ready');

    expect(response).toEqual({
      status: 200,
      body: {
        status: 'ok',
        components: { database: { status: 'up', backend: 'postgres' }, cache: { status: 'up', backend: 'redis' } },
      },
    });
  });

  it('answers 503 naming the component that is down, without its message', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.3.4:6379 password=hunter2'), { code: 'ECONNREFUSED' });

    const response = await get([up('database', 'postgres'), down('cache', refused)], '/health/ready');

    expect(response).toEqual({
      status: 503,
      body: {
        status: 'unavailable',
        components: { database: { status: 'up', backend: 'postgres' }, cache: { status: 'down', error: 'ECONNREFUSED' } },
      },
    });
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('is ready with no indicator registered', async () => {
    const response = await get(undefined, '/health/ready');

    expect(response).toEqual({ status: 200, body: { status: 'ok', components: {} } });
  });

  it('is marked for the audit interceptor to skip', () => {
    expect(Reflect.getMetadata(SKIP_HTTP_AUDIT, HealthController)).toBe(true);
  });
});

describe('checkReadiness', () => {
  it('counts a check that hangs as down after the timeout, without holding the others', async () => {
    const started = Date.now();

    const report = await checkReadiness([hanging('keys'), up('database', 'embedded-postgres')], 50);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(report).toEqual({
      status: 'unavailable',
      components: {
        keys: { status: 'down', error: 'timed out after 50 ms' },
        database: { status: 'up', backend: 'embedded-postgres' },
      },
    });
  });

  it('answers a generic reason for an error without a code', async () => {
    const report = await checkReadiness([down('storage', new Error('bucket s3://phi-archive denied'))], 50);

    expect(report.components.storage).toEqual({ status: 'down', error: 'check failed' });
  });
});
