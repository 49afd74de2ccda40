/**
 * Fan-out to connected clients. Payloads carry ids and sequence numbers, never PHI.
 * Production: the Centrifugo server HTTP API. Embedded default: an in-process publisher.
 */
export type RealtimePayload = Readonly<Record<string, string | number | boolean | null>>;

export interface PublishOptions {
  /** The outbox event id: Centrifugo drops a second publish with the same key. */
  idempotencyKey: string;
}

export interface RealtimePublisher {
  readonly backend: 'centrifugo' | 'in-process';
  publish(channel: string, data: RealtimePayload, options: PublishOptions): Promise<void>;
  ping(): Promise<void>;
}

export const REALTIME_PUBLISHER = Symbol('RealtimePublisher');
