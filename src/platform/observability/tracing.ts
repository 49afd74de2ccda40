import type { IncomingMessage } from 'node:http';

export interface Tracing {
  shutdown(): Promise<void>;
}

const NO_TRACING: Tracing = { shutdown: () => Promise.resolve() };

/** Infrastructure probes would be most of the spans and say nothing. */
const UNTRACED_PATHS = /^\/(?:health\/|metrics(?:\?|$))/;

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set, and does nothing otherwise.
 * Call it first in main.ts, before Nest, pg or ioredis are required, so that their instrumentations apply.
 * Spans carry no bodies, no query parameters of SQL, and no URL query strings (they can hold PHI).
 */
export function startTracing(serviceName: string): Tracing {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return NO_TRACING;
  }
  // Required here, not imported above: an untraced process (tests, CLI, local runs) never loads the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK, resources } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { getNodeAutoInstrumentations } =
    require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const sdk = new NodeSDK({
    serviceName,
    // The process detector records the command line, which may carry a connection string.
    resourceDetectors: [resources.envDetector, resources.hostDetector],
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-fs': { enabled: false },
        '@opentelemetry/instrumentation-dns': { enabled: false },
        // Bound parameters are sealed values and ids: the statement text is enough.
        '@opentelemetry/instrumentation-pg': { enhancedDatabaseReporting: false },
        '@opentelemetry/instrumentation-http': {
          ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
          startIncomingSpanHook: redactIncomingQuery,
        },
        // Trace ids go into the pino lines; the lines themselves never leave through OTLP.
        '@opentelemetry/instrumentation-pino': { disableLogSending: true },
      }),
    ],
    // Metrics are Prometheus (prom-client) and logs are stdout: OTLP carries traces only.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Replaces the whole query string: its default redaction only knows a few credential names. */
export function redactIncomingQuery(request: IncomingMessage): Record<string, string> {
  return request.url?.includes('?') ? { 'url.query': 'REDACTED' } : {};
}
