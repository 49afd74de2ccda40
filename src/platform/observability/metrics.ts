import { Controller, Get, Header } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Public } from '../auth/access.decorators';
import { SkipHttpAudit } from '../http/skip-http-audit.decorator';

/** Ours, not prom-client's global registry: nothing a dependency registers is exposed by accident. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration in seconds, by method, route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Requests that matched no route share one label: raw URLs would be unbounded and can carry ids or PHI. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Call before `app.init()`/`app.listen()`: Fastify refuses hooks once it is ready. */
export function registerHttpMetrics(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      httpRequestDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
}

@ApiExcludeController()
@Public()
@SkipHttpAudit()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  render(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
