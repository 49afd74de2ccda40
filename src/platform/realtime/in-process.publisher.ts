import { PublishOptions, RealtimePayload, RealtimePublisher } from './realtime-publisher.port';

export type RealtimeListener = (data: RealtimePayload) => void;

export interface InProcessPublisherOptions {
  /** How many recent idempotency keys are remembered; the oldest is forgotten first. */
  maxRememberedKeys?: number;
  /** Centrifugo remembers a key for five minutes; the same window is kept here. */
  idempotencyWindowMs?: number;
  /** A listener that throws does not stop delivery to the others; its error is handed here. */
  onListenerError?: (error: unknown) => void;
  now?: () => number;
}

const DEFAULT_MAX_REMEMBERED_KEYS = 10_000;
const DEFAULT_IDEMPOTENCY_WINDOW_MS = 5 * 60_000;

/** The embedded default: synchronous fan-out to listeners in this process (the embedded gateway subscribes here). */
export class InProcessPublisher implements RealtimePublisher {
  readonly backend = 'in-process';
  private readonly listeners = new Map<string, Set<RealtimeListener>>();
  /** Key -> instant it was first seen, in insertion order so the oldest is evicted first. */
  private readonly seenKeys = new Map<string, number>();
  private readonly maxRememberedKeys: number;
  private readonly idempotencyWindowMs: number;
  private readonly onListenerError: (error: unknown) => void;
  private readonly now: () => number;

  constructor(options: InProcessPublisherOptions = {}) {
    this.maxRememberedKeys = options.maxRememberedKeys ?? DEFAULT_MAX_REMEMBERED_KEYS;
    this.idempotencyWindowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  subscribe(channel: string, listener: RealtimeListener): () => void {
    const channelListeners = this.listeners.get(channel) ?? new Set<RealtimeListener>();
    channelListeners.add(listener);
    this.listeners.set(channel, channelListeners);
    return () => {
      channelListeners.delete(listener);
      if (channelListeners.size === 0 && this.listeners.get(channel) === channelListeners) {
        this.listeners.delete(channel);
      }
    };
  }

  async publish(channel: string, data: RealtimePayload, options: PublishOptions): Promise<void> {
    if (this.alreadySeen(channel, options.idempotencyKey)) return;
    const frozen: RealtimePayload = Object.freeze({ ...data });
    // A copy, so a listener that unsubscribes during delivery does not skip its neighbour.
    for (const listener of [...(this.listeners.get(channel) ?? [])]) {
      try {
        listener(frozen);
      } catch (error: unknown) {
        this.onListenerError(error);
      }
    }
  }

  async ping(): Promise<void> {
    return;
  }

  /** Like Centrifugo, idempotency is per channel. */
  private alreadySeen(channel: string, idempotencyKey: string): boolean {
    const key = `${channel}\0${idempotencyKey}`;
    const now = this.now();
    const seenAt = this.seenKeys.get(key);
    if (seenAt !== undefined && now - seenAt < this.idempotencyWindowMs) return true;
    this.seenKeys.delete(key);
    this.seenKeys.set(key, now);
    while (this.seenKeys.size > this.maxRememberedKeys) {
      const oldest = this.seenKeys.keys().next();
      if (oldest.done) break;
      this.seenKeys.delete(oldest.value);
    }
    return false;
  }
}
