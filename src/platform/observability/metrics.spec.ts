import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DECORATORS } from '@nestjs/swagger';
import { SKIP_HTTP_AUDIT } from '../http/skip-http-audit.decorator';
import { MetricsController, metricsRegistry, registerHttpMetrics } from './metrics';

@Controller('items')
class ItemsController {
  @Get(':id')
  find(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({ controllers: [ItemsController, MetricsController] })
class MetricsTestModule {}

describe('metrics', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(MetricsTestModule, new FastifyAdapter(), { logger: false });
    registerHttpMetrics(app);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the registry as Prometheus text, with process metrics and the request histogram', async () => {
    const response = await fetch(new URL('/metrics', baseUrl));
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('labels requests by route template, never by raw URL', async () => {
    await fetch(new URL('/items/patient-4711?email=jane@example.com', baseUrl));
    await fetch(new URL('/no/such/route', baseUrl));

    const text = await metricsRegistry.metrics();

    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/items\/:id",status="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).not.toContain('patient-4711');
    expect(text).not.toContain('jane@example.com');
  });

  it('is left out of the OpenAPI document and of the HTTP audit', () => {
    expect(Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, MetricsController)).toEqual([true]);
    expect(Reflect.getMetadata(SKIP_HTTP_AUDIT, MetricsController)).toBe(true);
  });
});
