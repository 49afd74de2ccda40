import { AppError, DependencyUnavailableError, ErrorCode } from '../errors';
import { PublishOptions, RealtimePayload, RealtimePublisher } from './realtime-publisher.port';

export interface CentrifugoPublisherOptions {
  /** Base URL of the Centrifugo HTTP server API, e.g. http://centrifugo:8000 (no trailing /api). */
  apiUrl: string;
  apiKey: string;
  /** Per attempt, covering connect, response and body. */
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

/** Centrifugo understood the call and refused it (unknown channel, permission denied, …): retrying will not help. */
export class RealtimePublishRejectedError extends AppError {
  constructor(centrifugoCode: number) {
    super(ErrorCode.REALTIME_PUBLISH_REJECTED, 'The realtime server rejected the publication.', { centrifugoCode });
  }
}

const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_RETRY_BASE_DELAY_MS = 100;
/** Centrifugo marks these as temporary: internal error and too many requests. */
const TEMPORARY_CENTRIFUGO_CODES = new Set([100, 111]);

type Outcome = { kind: 'ok' } | { kind: 'retry' } | { kind: 'fail'; error: AppError };

/**
 * Production publisher over the Centrifugo server HTTP API. Centrifugo reports API errors with HTTP 200
 * and an `error` object, so success is decided by the body. Retrying is safe because every publish
 * carries an idempotency key, which Centrifugo uses to drop the duplicate.
 */
export class CentrifugoPublisher implements RealtimePublisher {
  readonly backend = 'centrifugo';
  private readonly apiBase: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: CentrifugoPublisherOptions) {
    this.apiBase = `${options.apiUrl.replace(/\/+$/, '')}/api/`;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  }

  async publish(channel: string, data: RealtimePayload, options: PublishOptions): Promise<void> {
    await this.call('publish', { channel, data, idempotency_key: options.idempotencyKey });
  }

  async ping(): Promise<void> {
    await this.call('info', {});
  }

  private async call(method: string, body: Record<string, unknown>): Promise<void> {
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(method, payload);
      if (outcome.kind === 'ok') return;
      if (outcome.kind === 'fail') throw outcome.error;
      if (attempt >= this.maxAttempts) throw new DependencyUnavailableError('realtime');
      await delay(this.backoffMs(attempt));
    }
  }

  private async attempt(method: string, payload: string): Promise<Outcome> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.apiBase + method, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': this.apiKey },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch {
      // Network failure or timeout: the publication may or may not have landed; the idempotency key covers both.
      return { kind: 'retry' };
    }
    if (status >= 500) return { kind: 'retry' };
    if (status !== 200) return { kind: 'fail', error: new DependencyUnavailableError('realtime') };
    return interpretBody(text);
  }

  private backoffMs(attempt: number): number {
    const ceiling = this.retryBaseDelayMs * 2 ** (attempt - 1);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function interpretBody(text: string): Outcome {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'fail', error: new DependencyUnavailableError('realtime') };
  }
  if (typeof body !== 'object' || body === null) {
    return { kind: 'fail', error: new DependencyUnavailableError('realtime') };
  }
  if (!('error' in body) || body.error === undefined || body.error === null) return { kind: 'ok' };
  const code = centrifugoErrorCode(body.error);
  if (code !== null && TEMPORARY_CENTRIFUGO_CODES.has(code)) return { kind: 'retry' };
  return { kind: 'fail', error: new RealtimePublishRejectedError(code ?? 0) };
}

function centrifugoErrorCode(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
