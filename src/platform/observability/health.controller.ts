import { Controller, Get, Inject, Logger, Optional, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors';
import { Public } from '../auth/access.decorators';
import { SkipHttpAudit } from '../http/skip-http-audit.decorator';
import { HEALTH_INDICATORS, type HealthDetails, type HealthIndicator } from './health-indicator';

export const READINESS_CHECK_TIMEOUT_MS = 2000;

export type ComponentHealth = ({ status: 'up'; backend: string } | { status: 'down'; error: string }) & { details?: HealthDetails };

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  components: Record<string, ComponentHealth>;
}

class CheckTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`health check timed out after ${timeoutMs} ms`);
  }
}

const logger = new Logger('HealthCheck');

/** Runs every check at once; one that hangs counts as down after `timeoutMs` and does not hold the others. */
export async function checkReadiness(
  indicators: readonly HealthIndicator[],
  timeoutMs = READINESS_CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    indicators.map(async (indicator): Promise<[string, ComponentHealth]> => {
      const details = indicator.details ? { details: indicator.details() } : {};
      try {
        const { backend } = await withTimeout(() => indicator.check(), timeoutMs);
        return [indicator.component, { status: 'up', backend, ...details }];
      } catch (error: unknown) {
        logger.warn({ component: indicator.component, err: error, ...details }, 'readiness check failed');
        return [indicator.component, { status: 'down', error: publicReason(error), ...details }];
      }
    }),
  );
  const components = Object.fromEntries(results);
  const allUp = results.every(([, health]) => health.status === 'up');
  return { status: allUp ? 'ok' : 'unavailable', components };
}

async function withTimeout<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([Promise.resolve().then(run), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The answer is public: a code (ECONNREFUSED, 57P01, KEY_SERVICE_UNAVAILABLE) or a timeout, never the
 * message, which names hosts, users and sometimes credentials. The log line has the whole error.
 */
function publicReason(error: unknown): string {
  if (error instanceof CheckTimeoutError) {
    return `timed out after ${error.timeoutMs} ms`;
  }
  if (error instanceof AppError) {
    return error.code;
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Za-z0-9_]{2,40}$/.test(code) ? code : 'check failed';
}

/** Probes for the orchestrator; public, and not audited (see SkipHttpAudit). */
@Public()
@SkipHttpAudit()
@Controller('health')
export class HealthController {
  constructor(@Optional() @Inject(HEALTH_INDICATORS) private readonly indicators: readonly HealthIndicator[] = []) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await checkReadiness(this.indicators);
    void reply.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
