import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { DependencyUnavailableError, ErrorCode } from '../../../src/platform/errors';
import { CentrifugoPublisher, RealtimePublishRejectedError } from '../../../src/platform/realtime/centrifugo.publisher';
import { InProcessPublisher } from '../../../src/platform/realtime/in-process.publisher';
import { RealtimePayload, RealtimePublisher } from '../../../src/platform/realtime/realtime-publisher.port';

const API_KEY = `test-api-key-${randomUUID()}`;
/** Channels whose names make the stub misbehave in the documented ways. */
const UNKNOWN_CHANNEL = 'undeclared-namespace:room';
const SILENT_CHANNEL = 'stub:never-answers';
const FLAKY_CHANNEL_PREFIX = 'stub:503-once:';
const BUSY_CHANNEL_PREFIX = 'stub:111-once:';

interface RecordedRequest {
  path: string;
  apiKey: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

interface Publication {
  channel: string;
  data: unknown;
}

/**
 * A small Centrifugo server API stand-in: POST /api/<method>, X-API-Key, JSON in and out, errors as
 * HTTP 200 with an `error` object, and publications deduplicated per channel by idempotency_key.
 */
class CentrifugoStub {
  readonly requests: RecordedRequest[] = [];
  readonly publications: Publication[] = [];
  private readonly seenIdempotencyKeys = new Set<string>();
  private readonly failedOnce = new Set<string>();
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  requestsFor(channel: string): RecordedRequest[] {
    return this.requests.filter((request) => request.body.channel === channel);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const apiKey = req.headers['x-api-key'];
    this.requests.push({ path: req.url ?? '', apiKey: typeof apiKey === 'string' ? apiKey : undefined, contentType: req.headers['content-type'], body });

    if (req.method !== 'POST') return this.reply(res, 405, { error: { code: 104, message: 'method not found' } });
    if (apiKey !== API_KEY) return this.reply(res, 401, {});
    if (req.url === '/api/info') return this.reply(res, 200, { result: { nodes: [] } });
    if (req.url !== '/api/publish') return this.reply(res, 404, {});
    this.publish(body, res);
  }

  private publish(body: Record<string, unknown>, res: ServerResponse): void {
    const channel = typeof body.channel === 'string' ? body.channel : '';
    if (channel === SILENT_CHANNEL) return; // Never answers: the publisher's timeout must fire.
    if (channel === UNKNOWN_CHANNEL) return this.reply(res, 200, { error: { code: 102, message: 'unknown channel' } });
    if (channel.startsWith(FLAKY_CHANNEL_PREFIX) && this.failFirstTime(channel)) return this.reply(res, 503, {});
    if (channel.startsWith(BUSY_CHANNEL_PREFIX) && this.failFirstTime(channel)) {
      return this.reply(res, 200, { error: { code: 111, message: 'too many requests' } });
    }
    const dedupKey = typeof body.idempotency_key === 'string' ? `${channel}\0${body.idempotency_key}` : null;
    if (dedupKey === null || !this.seenIdempotencyKeys.has(dedupKey)) {
      if (dedupKey !== null) this.seenIdempotencyKeys.add(dedupKey);
      this.publications.push({ channel, data: body.data });
    }
    this.reply(res, 200, { result: {} });
  }

  private failFirstTime(channel: string): boolean {
    if (this.failedOnce.has(channel)) return false;
    this.failedOnce.add(channel);
    return true;
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

const stub = new CentrifugoStub();
let stubUrl: string;

beforeAll(async () => {
  stubUrl = await stub.start();
});

afterAll(async () => {
  await stub.stop();
});

interface PublisherUnderTest {
  publisher: RealtimePublisher;
  /** Starts watching a channel; the returned function reads what has been delivered on it so far. */
  watch(channel: string): () => unknown[];
}

interface PublisherAdapter {
  name: string;
  create(): PublisherUnderTest;
}

const adapters: PublisherAdapter[] = [
  {
    name: 'InProcessPublisher',
    create: () => {
      const publisher = new InProcessPublisher();
      return {
        publisher,
        watch: (channel) => {
          const received: RealtimePayload[] = [];
          publisher.subscribe(channel, (data) => received.push(data));
          return () => received;
        },
      };
    },
  },
  {
    name: 'CentrifugoPublisher',
    create: () => ({
      publisher: new CentrifugoPublisher({ apiUrl: stubUrl, apiKey: API_KEY, timeoutMs: 2_000 }),
      watch: (channel) => () => stub.publications.filter((publication) => publication.channel === channel).map((publication) => publication.data),
    }),
  },
];

describe.each(adapters)('RealtimePublisher contract: $name', ({ create }) => {
  const freshChannel = (): string => `tenant-${randomUUID()}:conversation`;

  it('answers ping', async () => {
    await expect(create().publisher.ping()).resolves.toBeUndefined();
  });

  it('delivers the payload to the channel', async () => {
    const adapter = create();
    const channel = freshChannel();
    const deliveries = adapter.watch(channel);
    const payload = { messageId: randomUUID(), sequence: 7, sealed: true, editedAt: null };
    await adapter.publisher.publish(channel, payload, { idempotencyKey: randomUUID() });
    expect(deliveries()).toEqual([payload]);
  });

  it('delivers a repeated idempotency key once', async () => {
    const adapter = create();
    const channel = freshChannel();
    const deliveries = adapter.watch(channel);
    const idempotencyKey = randomUUID();
    await adapter.publisher.publish(channel, { sequence: 1 }, { idempotencyKey });
    await adapter.publisher.publish(channel, { sequence: 1 }, { idempotencyKey });
    await adapter.publisher.publish(channel, { sequence: 2 }, { idempotencyKey: randomUUID() });
    expect(deliveries()).toEqual([{ sequence: 1 }, { sequence: 2 }]);
  });

  it('scopes idempotency keys to their channel', async () => {
    const adapter = create();
    const [first, second] = [freshChannel(), freshChannel()];
    const [onFirst, onSecond] = [adapter.watch(first), adapter.watch(second)];
    const idempotencyKey = randomUUID();
    await adapter.publisher.publish(first, { sequence: 1 }, { idempotencyKey });
    await adapter.publisher.publish(second, { sequence: 1 }, { idempotencyKey });
    expect([onFirst(), onSecond()]).toEqual([[{ sequence: 1 }], [{ sequence: 1 }]]);
  });
});

describe('InProcessPublisher', () => {
  it('stops delivering after unsubscribe', async () => {
    const publisher = new InProcessPublisher();
    const received: RealtimePayload[] = [];
    const unsubscribe = publisher.subscribe('room', (data) => received.push(data));
    await publisher.publish('room', { sequence: 1 }, { idempotencyKey: 'a' });
    unsubscribe();
    await publisher.publish('room', { sequence: 2 }, { idempotencyKey: 'b' });
    expect(received).toEqual([{ sequence: 1 }]);
  });

  it('keeps delivering to other listeners when one throws, and reports the error', async () => {
    const reported: unknown[] = [];
    const publisher = new InProcessPublisher({ onListenerError: (error) => reported.push(error) });
    const received: RealtimePayload[] = [];
    publisher.subscribe('room', () => {
      throw new Error('listener failed');
    });
    publisher.subscribe('room', (data) => received.push(data));
    await publisher.publish('room', { sequence: 1 }, { idempotencyKey: 'a' });
    expect(received).toEqual([{ sequence: 1 }]);
    expect(reported).toHaveLength(1);
  });

  it('remembers a bounded number of keys, forgetting the oldest first', async () => {
    const publisher = new InProcessPublisher({ maxRememberedKeys: 2 });
    const received: RealtimePayload[] = [];
    publisher.subscribe('room', (data) => received.push(data));
    for (const key of ['k1', 'k2', 'k3', 'k3', 'k1']) {
      await publisher.publish('room', { key }, { idempotencyKey: key });
    }
    expect(received).toEqual([{ key: 'k1' }, { key: 'k2' }, { key: 'k3' }, { key: 'k1' }]);
  });

  it('forgets a key after the idempotency window, like Centrifugo', async () => {
    let now = 0;
    const publisher = new InProcessPublisher({ idempotencyWindowMs: 1_000, now: () => now });
    const received: RealtimePayload[] = [];
    publisher.subscribe('room', (data) => received.push(data));
    await publisher.publish('room', { sequence: 1 }, { idempotencyKey: 'same' });
    now = 999;
    await publisher.publish('room', { sequence: 1 }, { idempotencyKey: 'same' });
    now = 1_000;
    await publisher.publish('room', { sequence: 1 }, { idempotencyKey: 'same' });
    expect(received).toHaveLength(2);
  });
});

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

describe('CentrifugoPublisher', () => {
  const publisher = (options: Partial<ConstructorParameters<typeof CentrifugoPublisher>[0]> = {}): CentrifugoPublisher =>
    new CentrifugoPublisher({ apiUrl: stubUrl, apiKey: API_KEY, timeoutMs: 2_000, retryBaseDelayMs: 10, ...options });

  it('POSTs channel, data and idempotency_key as JSON to /api/publish with X-API-Key', async () => {
    const channel = `tenant-${randomUUID()}:conversation`;
    await publisher().publish(channel, { messageId: 'm-1', sequence: 3 }, { idempotencyKey: 'event-42' });
    expect(stub.requestsFor(channel)).toEqual([
      {
        path: '/api/publish',
        apiKey: API_KEY,
        contentType: 'application/json',
        body: { channel, data: { messageId: 'm-1', sequence: 3 }, idempotency_key: 'event-42' },
      },
    ]);
  });

  it('accepts an apiUrl with a trailing slash', async () => {
    const channel = `tenant-${randomUUID()}:conversation`;
    await publisher({ apiUrl: `${stubUrl}/` }).publish(channel, { sequence: 1 }, { idempotencyKey: randomUUID() });
    expect(stub.requestsFor(channel).map((request) => request.path)).toEqual(['/api/publish']);
  });

  it('rejects when Centrifugo answers HTTP 200 with an error body, without retrying', async () => {
    const before = stub.requestsFor(UNKNOWN_CHANNEL).length;
    const publishing = publisher().publish(UNKNOWN_CHANNEL, { sequence: 1 }, { idempotencyKey: randomUUID() });
    await expect(publishing).rejects.toThrow(RealtimePublishRejectedError);
    await expect(publishing).rejects.toMatchObject({ code: ErrorCode.REALTIME_PUBLISH_REJECTED, details: { centrifugoCode: 102 } });
    expect(stub.requestsFor(UNKNOWN_CHANNEL).length - before).toBe(1);
  });

  it('retries a 5xx answer with the same idempotency key, then succeeds', async () => {
    const channel = `${FLAKY_CHANNEL_PREFIX}${randomUUID()}`;
    await publisher().publish(channel, { sequence: 1 }, { idempotencyKey: 'event-7' });
    expect(stub.requestsFor(channel).map((request) => request.body.idempotency_key)).toEqual(['event-7', 'event-7']);
    expect(stub.publications.filter((publication) => publication.channel === channel)).toHaveLength(1);
  });

  it('retries an error Centrifugo marks temporary (111 too many requests)', async () => {
    const channel = `${BUSY_CHANNEL_PREFIX}${randomUUID()}`;
    await publisher().publish(channel, { sequence: 1 }, { idempotencyKey: randomUUID() });
    expect(stub.requestsFor(channel)).toHaveLength(2);
  });

  it('times out when Centrifugo never answers, after a bounded number of attempts', async () => {
    const before = stub.requestsFor(SILENT_CHANNEL).length;
    const started = performance.now();
    const publishing = publisher({ timeoutMs: 150, maxAttempts: 2 }).publish(SILENT_CHANNEL, { sequence: 1 }, { idempotencyKey: randomUUID() });
    await expect(publishing).rejects.toThrow(DependencyUnavailableError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2_000);
    expect(stub.requestsFor(SILENT_CHANNEL).length - before).toBe(2);
  });

  it('rejects a wrong API key as unavailable, without retrying', async () => {
    const before = stub.requests.length;
    await expect(publisher({ apiKey: 'wrong' }).publish('room', { sequence: 1 }, { idempotencyKey: randomUUID() })).rejects.toMatchObject({
      code: ErrorCode.DEPENDENCY_UNAVAILABLE,
      details: { dependency: 'realtime' },
    });
    expect(stub.requests.length - before).toBe(1);
  });

  it('pings with POST /api/info', async () => {
    const before = stub.requests.length;
    await publisher().ping();
    expect(stub.requests.slice(before)).toEqual([{ path: '/api/info', apiKey: API_KEY, contentType: 'application/json', body: {} }]);
  });

  it('rejects as unavailable when nothing listens', async () => {
    const unreachable = publisher({ apiUrl: `http://127.0.0.1:${await closedPort()}`, maxAttempts: 2 });
    await expect(unreachable.ping()).rejects.toThrow(DependencyUnavailableError);
    await expect(unreachable.publish('room', { sequence: 1 }, { idempotencyKey: randomUUID() })).rejects.toThrow(DependencyUnavailableError);
  });
});
