import { LRUCache } from 'lru-cache';

export interface SessionState {
  active: boolean;
  /** Whose session it is: a token naming another subject for this session is refused. */
  userId: string | null;
  /** The tenant requires MFA for this user's role and none is confirmed yet: only enrolment routes answer. */
  mfaEnrolmentPending: boolean;
}

export type SessionStateLoader = (tenantId: string, sessionId: string) => Promise<SessionState>;

/**
 * Answers "is this session still live?" for every authenticated request. The database is the truth; each process
 * remembers an answer for at most `ttlMs`, so a revocation reaches every instance within that time without Redis.
 */
export class SessionLiveness {
  private readonly cache: LRUCache<string, SessionState, { tenantId: string; sessionId: string }>;

  constructor(load: SessionStateLoader, ttlMs: number) {
    this.cache = new LRUCache({
      max: 100_000,
      ttl: Math.max(1, ttlMs),
      fetchMethod: (_key, _stale, { context }) => load(context.tenantId, context.sessionId),
    });
  }

  async check(tenantId: string, sessionId: string): Promise<SessionState> {
    const state = await this.cache.fetch(`${tenantId}:${sessionId}`, { context: { tenantId, sessionId } });
    return state ?? { active: false, userId: null, mfaEnrolmentPending: false };
  }

  /** This process stops trusting its cached answer at once (the revoking instance needs no wait). */
  forget(tenantId: string, sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) this.cache.delete(`${tenantId}:${sessionId}`);
  }
}
