/** A job's payload: ids, counts and codes only, never PHI (it is stored in plain text in the jobs schema). */
export type JobData = Readonly<Record<string, string | number | boolean | null>>;

/** What a handler returns is kept on the finished job, for operators: ids and counts only, like its data. */
export type JobOutput = Readonly<Record<string, string | number | boolean | null>>;

export interface JobRun<T extends JobData> {
  id: string;
  queue: string;
  data: T;
}

export type JobHandler<T extends JobData> = (run: JobRun<T>) => Promise<JobOutput | undefined>;

export interface HandlerOptions {
  /**
   * The system actor the handler runs as (audit rows carry actor_type 'system' and this id), for example
   * "audit-sealer". Defaults to the queue name.
   */
  actor?: string;
  /** Further attempts after a failure; 0 fails the job at once. */
  retryLimit?: number;
  /** How long one attempt may stay active before it is retried or failed. */
  expireInSeconds?: number;
}

export interface SendOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
}

/** One queue as the jobs schema holds it at the moment of asking. */
export interface QueueCounts {
  queue: string;
  /** Waiting to run, deferred ones included. */
  queued: number;
  active: number;
  /** Failed for good (retries spent) and still retained. */
  failed: number;
  /** How long the oldest job that could run now has waited; null when none waits. */
  oldestReadySeconds: number | null;
  /** Since the last job of this queue finished (completed or failed); null when none is retained. */
  lastFinishedSeconds: number | null;
}

/**
 * Durable jobs on the service's own PostgreSQL. Declare queues with `handle` and `every` before `start`; `start`
 * begins working them in this process, so only the API server (and tests that mean to) start it, never a CLI
 * command. A job is taken by one instance only and survives restarts; one whose worker died mid-run is tried again
 * once its attempt expires (`expireInSeconds`), so a handler must tolerate running a second time.
 */
export interface JobQueue {
  readonly backend: string;
  handle<T extends JobData>(queue: string, handler: JobHandler<T>, options?: HandlerOptions): void;
  /** Runs `queue` (declared with `handle`) every `intervalMs`, once across instances, never two runs at once. */
  every(queue: string, intervalMs: number): void;
  send<T extends JobData>(queue: string, data: T, options?: SendOptions): Promise<string | null>;
  /** The queues declared here, fresh from the database. */
  counts(): Promise<QueueCounts[]>;
  /** Rejects when a declared queue is stuck: a job that could run has waited too long and nothing finished meanwhile. */
  check(): Promise<{ backend: string }>;
  start(): Promise<void>;
  /** Stops taking jobs and waits (bounded) for the running ones. */
  stop(): Promise<void>;
}
