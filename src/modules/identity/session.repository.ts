import { SessionState } from '../../platform/auth/session-liveness';
import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { SessionEndReason, SessionRecord, sessionTable } from './session.table';

export type NewSession = Omit<SessionRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'revokedReason'>;
export type SessionLifetime = Pick<SessionRecord, 'id' | 'userId' | 'lastUsedAt' | 'idleTimeoutSeconds' | 'expiresAt' | 'authenticationMethods' | 'revokedAt'>;

/** Which sessions a revocation ends: one by id, or every live one of a user. */
export type SessionSelector = { sessionId: string } | { userId: string };

export class SessionRepository extends TenantScopedRepository<SessionRecord> {
  constructor(kit: PersistenceKit) {
    super(sessionTable, kit);
  }

  start(session: NewSession): Promise<SessionRecord> {
    return this.insert(session, { auditAction: 'auth_session.start' });
  }

  /** The per-request check: plain columns only, so it opens nothing sealed and costs one indexed read. */
  async state(tenantId: string, id: string): Promise<SessionState> {
    const [session] = await this.findColumns({ tenantId, id }, ['userId', 'revokedAt', 'expiresAt', 'mfaEnrolmentPending']);
    const active = session !== undefined && session.revokedAt === null && session.expiresAt.getTime() > Date.now();
    return { active, userId: session?.userId ?? null, mfaEnrolmentPending: session?.mfaEnrolmentPending ?? false };
  }

  async lifetime(tenantId: string, id: string): Promise<SessionLifetime | null> {
    const [session] = await this.findColumns({ tenantId, id },
      ['userId', 'lastUsedAt', 'idleTimeoutSeconds', 'expiresAt', 'authenticationMethods', 'revokedAt']);
    return session ?? null;
  }

  markUsed(tenantId: string, id: string, at: Date): Promise<unknown> {
    return this.updateWhere({ tenantId, id }, { lastUsedAt: at }, { auditAction: 'auth_session.use' });
  }

  /** Sessions of a user that have not been ended (expired ones are filtered by the caller's clock). Opens IP and agent. */
  listOpen(tenantId: string, userId: string): Promise<SessionRecord[]> {
    return this.findMany({ tenantId, userId, revokedAt: null }, { orderBy: { createdAt: 'desc' }, limit: 500 });
  }

  async openIds(tenantId: string, userId: string): Promise<string[]> {
    return (await this.findColumns({ tenantId, userId, revokedAt: null }, [])).map((session) => session.id);
  }

  /** Ends the selected live sessions; returns their ids. */
  async revoke(tenantId: string, selector: SessionSelector, reason: SessionEndReason): Promise<string[]> {
    const where = 'sessionId' in selector ? { id: selector.sessionId } : { userId: selector.userId };
    const ended = await this.updateWhere({ tenantId, ...where, revokedAt: null }, { revokedAt: new Date(), revokedReason: reason }, {
      auditAction: 'auth_session.revoke',
      auditDetails: { reason },
    });
    return ended.map((session) => session.id);
  }

  clearMfaEnrolmentPending(tenantId: string, userId: string): Promise<unknown> {
    return this.updateWhere({ tenantId, userId, mfaEnrolmentPending: true }, { mfaEnrolmentPending: false });
  }
}
