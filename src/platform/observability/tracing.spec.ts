import type { IncomingMessage } from 'node:http';
import { redactIncomingQuery, startTracing } from './tracing';

describe('startTracing', () => {
  const original = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

  afterEach(() => {
    if (original === undefined) {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    } else {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = original;
    }
  });

  it('starts nothing, and loads no SDK, without an OTLP endpoint', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

    const tracing = startTracing('sealed-channels');

    await expect(tracing.shutdown()).resolves.toBeUndefined();
    expect(Object.keys(require.cache).some((path) => path.includes('@opentelemetry/sdk-node'))).toBe(false);
  });
});

describe('redactIncomingQuery', () => {
  const request = (url: string): IncomingMessage => ({ url }) as IncomingMessage;

  it('replaces the whole query string of an incoming request', () => {
    expect(redactIncomingQuery(request('/patients?email=jane@example.com'))).toEqual({ 'url.query': 'REDACTED' });
  });

  it('adds nothing when there is no query string', () => {
    expect(redactIncomingQuery(request('/channels/1'))).toEqual({});
  });
});
