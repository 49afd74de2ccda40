import { startTracing } from './platform/observability/tracing';

/** Imported first by main.ts: tracing patches http, pg and ioredis, so it must start before they load. */
export const tracing = startTracing('sealed-channels');
