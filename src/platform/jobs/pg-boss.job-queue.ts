import { PgBoss } from 'pg-boss';
import type { Job, SendOptions as PgBossSendOptions } from 'pg-boss';
import { Logger as PinoLogger } from 'pino';
import { DependencyUnavailableError } from '../errors';
import { jobRuns, reportJobCounts } from '../observability/metrics';
import { HandlerOptions, JobData, JobHandler, JobQueue, QueueCounts, SendOptions } from './job-queue.port';
import { actAsSystem, assertSystemActor } from './system-scope';

/** pg-boss's schema; the jobs migration creates it empty, owned by JOBS_ROLE, and pg-boss fills it. */
const SCHEMA = 'pgboss';

/**
 * pg-boss connects with the owner's credentials but assumes sealed_jobs for its whole session, the way the app pool
 * assumes sealed_app. Not the app role: pg-boss issues DDL in its schema (install, its own upgrades, per-queue
 * tables, REINDEX of its bloated indexes), which sealed_app must never be able to do. Not the owner either:
 * sealed_jobs owns the pgboss schema and holds no grant in `public`, so nothing that runs on pg-boss's connections
 * can read tenant data or write the audit trail. Handlers never see this pool; they reach tenant data through the
 * app role (SystemScope), under row-level security.
 */
export const JOBS_ROLE = 'sealed_jobs';

/** A recurring queue is also sent from cron each minute: the chain of delayed jobs restarts if it ever breaks. */
const CHAIN_BACKSTOP_CRON = '* * * * *';
const STOP_TIMEOUT_MS = 10_000;

export class JobQueueStuckError extends DependencyUnavailableError {
  constructor(readonly queue: string, readonly waitedSeconds: number) {
    super(`job queue ${queue}`);
  }
}

interface Declared {
  handler: JobHandler<JobData>;
  actor: string;
  sendOptions: PgBossSendOptions;
  intervalMs?: number;
}

interface CountsRow {
  queue: string;
  queued: number;
  active: number;
  failed: number;
  oldest_ready_seconds: number | null;
  last_finished_seconds: number | null;
}

export interface PgBossJobQueueOptions {
  databaseUrl: string;
  poolSize: number;
  pollIntervalMs: number;
  /** A job that could run has waited this long, and none of its queue finished meanwhile: the queue is stuck. */
  stuckAfterMs: number;
  logger: PinoLogger;
}

/**
 * JobQueue on pg-boss, in the service's own PostgreSQL. Sub-minute recurrence (cron is minute-granular): a
 * recurring queue has the `stately` policy (at most one job queued and one running, cluster-wide), and each run
 * first sends its successor, delayed by the interval; a duplicate send while one is queued is dropped by pg-boss.
 * Starting an instance sends one too (dropped when the chain is already there), and a cron schedule sends one
 * every minute as a backstop.
 */
export class PgBossJobQueue implements JobQueue {
  readonly backend = 'pg-boss';
  private readonly boss: PgBoss;
  private readonly declared = new Map<string, Declared>();
  private state: 'idle' | 'started' | 'stopped' = 'idle';
  private starting?: Promise<void>;
  private detachMetrics?: () => void;

  constructor(private readonly options: PgBossJobQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.databaseUrl,
      options: `-c role=${JOBS_ROLE}`,
      application_name: 'sealed-channels-jobs',
      max: options.poolSize,
      schema: SCHEMA,
      createSchema: false,
    });
    this.boss.on('error', (error) => options.logger.error({ component: 'jobs', err: error }, 'job queue error'));
    this.boss.on('warning', (warning) => options.logger.warn({ component: 'jobs', warning }, 'job queue warning'));
  }

  handle<T extends JobData>(queue: string, handler: JobHandler<T>, options: HandlerOptions = {}): void {
    if (this.state !== 'idle') throw new Error('declare job queues before starting them');
    if (this.declared.has(queue)) throw new Error(`job queue ${queue} is declared twice`);
    const actor = options.actor ?? queue;
    assertSystemActor(actor);
    // pg-boss refuses a key that is present but undefined.
    const sendOptions: PgBossSendOptions = {
      ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
      ...(options.expireInSeconds !== undefined ? { expireInSeconds: options.expireInSeconds } : {}),
    };
    this.declared.set(queue, { handler: handler as JobHandler<JobData>, actor, sendOptions });
  }

  every(queue: string, intervalMs: number): void {
    const declared = this.declared.get(queue);
    if (!declared || this.state !== 'idle') throw new Error(`declare job queue ${queue} with handle() before every(), and before start()`);
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new Error('a job interval is a positive number of milliseconds');
    declared.intervalMs = intervalMs;
  }

  async send<T extends JobData>(queue: string, data: T, options: SendOptions = {}): Promise<string | null> {
    const declared = this.declared.get(queue);
    if (!declared) throw new Error(`job queue ${queue} is not declared`);
    if (this.state !== 'started') throw new Error('the job queue is not started');
    return this.boss.send(queue, data, { ...declared.sendOptions, ...(options.delayMs ? { startAfter: options.delayMs / 1000 } : {}) });
  }

  /** Several applications on one platform (tests build more than one) share the one start. */
  start(): Promise<void> {
    if (this.state === 'stopped') return Promise.reject(new Error('a stopped job queue does not start again'));
    this.starting ??= this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    this.state = 'started';
    await this.boss.start();
    const pollingIntervalSeconds = this.options.pollIntervalMs / 1000;
    for (const [queue, declared] of this.declared) {
      const recurring = declared.intervalMs !== undefined;
      await this.boss.createQueue(queue, { policy: recurring ? 'stately' : 'standard', ...declared.sendOptions });
      await this.boss.work<JobData>(queue, { pollingIntervalSeconds, batchSize: 1 }, async ([job]) => this.run(queue, declared, job));
      if (recurring) {
        await this.boss.schedule(queue, CHAIN_BACKSTOP_CRON, {}, declared.sendOptions);
        await this.boss.send(queue, {}, declared.sendOptions);
      }
    }
    this.detachMetrics = reportJobCounts(() => this.counts());
  }

  async stop(): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    await this.starting?.catch(() => undefined);
    this.detachMetrics?.();
    await this.boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS });
  }

  async counts(): Promise<QueueCounts[]> {
    if (this.state !== 'started') return [];
    // Read from pg-boss's job table directly (pinned pg-boss version): its own getQueues() serves counts cached by a
    // monitor pass up to a minute old, too stale for readiness. Both lookups are answered by pg-boss's own partial
    // indexes (job_i14 on the live states, job_i16 on completed_on): the retained finished jobs are never scanned.
    const { rows } = await this.boss.getDb().executeSql(`
      SELECT q.name AS queue, live.queued, live.active, live.failed, live.oldest_ready_seconds,
             extract(epoch FROM now() - finished.at)::float8 AS last_finished_seconds
      FROM unnest($1::text[]) AS q(name)
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE j.state < 'active')::int AS queued,
               count(*) FILTER (WHERE j.state = 'active')::int AS active,
               count(*) FILTER (WHERE j.state = 'failed')::int AS failed,
               extract(epoch FROM now() - min(greatest(j.created_on, j.start_after))
                 FILTER (WHERE j.state < 'active' AND NOT j.blocked AND j.start_after <= now()))::float8 AS oldest_ready_seconds
        FROM ${SCHEMA}.job j
        WHERE j.name = q.name AND j.state IN ('created', 'retry', 'active', 'failed')
      ) live
      CROSS JOIN LATERAL (
        SELECT max(j.completed_on) AS at FROM ${SCHEMA}.job j WHERE j.name = q.name AND j.completed_on IS NOT NULL
      ) finished
      ORDER BY q.name`, [[...this.declared.keys()]]) as { rows: CountsRow[] };
    return rows.map((row) => ({
      queue: row.queue,
      queued: row.queued,
      active: row.active,
      failed: row.failed,
      oldestReadySeconds: row.oldest_ready_seconds,
      lastFinishedSeconds: row.last_finished_seconds,
    }));
  }

  /**
   * Stuck, not slow: a job that could run has waited longer than stuckAfterMs and no job of its queue has finished
   * (completed or failed) in that time either. A long backlog that is moving shows in the metrics, not here, so a busy
   * queue never takes the API out of rotation.
   */
  async check(): Promise<{ backend: string }> {
    if (this.state !== 'started') throw new DependencyUnavailableError('job queue');
    const limitSeconds = this.options.stuckAfterMs / 1000;
    const stuck = (await this.counts()).find((c) => c.oldestReadySeconds !== null && c.oldestReadySeconds > limitSeconds
      && (c.lastFinishedSeconds === null || c.lastFinishedSeconds > limitSeconds));
    if (stuck) throw new JobQueueStuckError(stuck.queue, Math.round(stuck.oldestReadySeconds ?? 0));
    return { backend: this.backend };
  }

  private async run(queue: string, declared: Declared, job: Job<JobData>): Promise<unknown> {
    // The successor goes first, so a failing or crashing run never ends the chain.
    if (declared.intervalMs !== undefined) await this.boss.send(queue, {}, { ...declared.sendOptions, startAfter: declared.intervalMs / 1000 });
    try {
      const output = await actAsSystem(declared.actor, () => declared.handler({ id: job.id, queue, data: job.data }), job.id);
      jobRuns.inc({ queue, outcome: 'completed' });
      return output ?? null;
    } catch (error) {
      jobRuns.inc({ queue, outcome: 'failed' });
      this.options.logger.warn({ component: 'jobs', queue, jobId: job.id, err: error }, 'job failed');
      throw error;
    }
  }
}
