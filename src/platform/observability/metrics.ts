import { Controller, Get, Header } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Public } from '../auth/access.decorators';
import { SkipHttpAudit } from '../http/skip-http-audit.decorator';
import type { QueueCounts } from '../jobs/job-queue.port';

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

/** Attempts this process ran, by outcome (completed | failed): a failed attempt counts even when it will be retried. */
export const jobRuns = new Counter({
  name: 'job_runs_total',
  help: 'Job attempts run by this process, by queue and outcome.',
  labelNames: ['queue', 'outcome'] as const,
  registers: [metricsRegistry],
});

type JobCountsSource = () => Promise<QueueCounts[]>;
const jobCountsSources = new Set<JobCountsSource>();
let jobCountsReading: Promise<QueueCounts[]> | undefined;

/** One database reading per scrape, shared by the gauges below (the registry collects them all at once). */
function readJobCounts(): Promise<QueueCounts[]> {
  const [source] = jobCountsSources;
  if (!source) return Promise.resolve([]);
  jobCountsReading ??= source().catch(() => []).finally(() => { jobCountsReading = undefined; });
  return jobCountsReading;
}

function jobQueueGauge(name: string, help: string, value: (counts: QueueCounts) => number | null): Gauge<'queue'> {
  return new Gauge({
    name,
    help,
    labelNames: ['queue'] as const,
    registers: [metricsRegistry],
    async collect() {
      const counts = await readJobCounts();
      this.reset();
      for (const queue of counts) {
        const current = value(queue);
        if (current !== null) this.set({ queue: queue.queue }, current);
      }
    },
  });
}

// Cluster-wide values read from the jobs schema at scrape time, so every instance reports the same figure.
jobQueueGauge('job_queue_queued', 'Jobs waiting to run (deferred ones included), by queue.', (c) => c.queued);
jobQueueGauge('job_queue_active', 'Jobs running now on any instance, by queue.', (c) => c.active);
jobQueueGauge('job_queue_failed', 'Jobs failed for good (retries spent) and still retained, by queue.', (c) => c.failed);
jobQueueGauge('job_queue_oldest_ready_seconds', 'How long the oldest job that could run now has waited, by queue.', (c) => c.oldestReadySeconds);

/** A started job queue reports its counts here until it stops; the returned function detaches it. */
export function reportJobCounts(source: JobCountsSource): () => void {
  jobCountsSources.add(source);
  return () => { jobCountsSources.delete(source); };
}

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
