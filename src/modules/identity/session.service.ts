import { randomUUID } from 'node:crypto';
import { AccessTokenIssuer } from '../../platform/auth/access-token';
import { Role } from '../../platform/auth/principal';
import { SessionLiveness } from '../../platform/auth/session-liveness';
import { ACCESS_TOKEN_TTL_SECONDS } from '../../platform/auth/signing-keys';
import { annotateAudit, bindCaller } from '../../platform/context/request-context';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantLookup, TenantSecuritySettings } from '../tenants';
import { RefreshTokenInvalidError, RefreshTokenReusedError } from './identity-errors';
import { hashRefreshToken, newRefreshToken, successorRefreshToken, tenantOfRefreshToken } from './refresh-token-codec';
import { RefreshTokenRepository } from './refresh-token.repository';
import { SessionLifetime, SessionRepository, SessionSelector } from './session.repository';
import { SessionEndReason, SessionRecord } from './session.table';
import { UserRepository } from './user.repository';

/** A second refresh with the same token this soon is a duplicate (two tabs), not a theft. */
export const REFRESH_REUSE_GRACE_MS = 20_000;

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

export interface SessionStart {
  tenantId: string;
  userId: string;
  role: Role;
  authenticationMethods: string[];
  mfaEnrolmentPending: boolean;
  settings: TenantSecuritySettings;
  client: ClientInfo;
}

/** The body of a login or refresh answer. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
}

type RefreshOutcome =
  | { kind: 'invalid'; reason: string }
  | { kind: 'reused'; session: SessionLifetime }
  | { kind: 'rotated' | 'duplicate'; session: SessionLifetime; refreshToken: string };

/**
 * Sessions and their refresh-token families: start at login, rotate on every refresh, end on logout, password or
 * role change, disabling, or reuse of a spent token (which ends the whole family).
 */
export class SessionService {
  private readonly sessions: SessionRepository;
  private readonly refreshTokens: RefreshTokenRepository;
  private readonly users: UserRepository;

  constructor(
    private readonly kit: PersistenceKit,
    private readonly issuer: AccessTokenIssuer,
    private readonly liveness: SessionLiveness,
    private readonly tenants: TenantLookup,
  ) {
    this.sessions = new SessionRepository(kit);
    this.refreshTokens = new RefreshTokenRepository(kit);
    this.users = new UserRepository(kit);
  }

  async start(start: SessionStart): Promise<TokenPair> {
    const now = Date.now();
    const id = randomUUID();
    const refreshToken = newRefreshToken(start.tenantId);
    const session = await this.kit.transactions.run(start.tenantId, async () => {
      const started = await this.sessions.start({
        id,
        tenantId: start.tenantId,
        userId: start.userId,
        idleTimeoutSeconds: start.settings.idleTimeoutMinutes * 60,
        expiresAt: new Date(now + start.settings.sessionLifetimeHours * 3_600_000),
        authenticationMethods: start.authenticationMethods,
        mfaEnrolmentPending: start.mfaEnrolmentPending,
        ip: start.client.ip ?? null,
        userAgent: start.client.userAgent?.slice(0, 512) ?? null,
      });
      await this.refreshTokens.issue(start.tenantId, id, hashRefreshToken(refreshToken));
      return started;
    });
    annotateAudit({ sessionId: id });
    return this.pair(start.tenantId, session, start.role, refreshToken);
  }

  async refresh(presented: string): Promise<TokenPair> {
    const tenantId = tenantOfRefreshToken(presented);
    // A forged tenant id must not bind the request (and create audit keys) for a tenant that does not exist.
    if (tenantId === null || !(await this.tenants.activeById(tenantId))) return this.refuse('malformed_or_unknown_tenant');
    const outcome = await this.kit.transactions.run(tenantId, () => this.rotate(tenantId, presented));
    if (outcome.kind === 'invalid') return this.refuse(outcome.reason);
    annotateAudit({ sessionId: outcome.session.id });
    if (outcome.kind === 'reused') {
      this.liveness.forget(tenantId, [outcome.session.id]);
      annotateAudit({ reason: 'refresh_token_reused' });
      throw new RefreshTokenReusedError();
    }
    const user = await this.users.credentialsById(tenantId, outcome.session.userId);
    if (!user || user.status !== 'active') return this.refuse('user_not_active');
    if (outcome.kind === 'duplicate') annotateAudit({ duplicateWithinGrace: 'true' });
    return this.pair(tenantId, outcome.session, user.role, outcome.refreshToken);
  }

  /** Ends one session of the tenant, or every live session of a user; returns the ids ended. */
  async end(tenantId: string, selector: SessionSelector, reason: SessionEndReason): Promise<string[]> {
    const ended = await this.sessions.revoke(tenantId, selector, reason);
    this.liveness.forget(tenantId, ended);
    return ended;
  }

  /** Ends every live session of a user but one (the caller's own, after a password change). */
  async endOthers(tenantId: string, userId: string, keepSessionId: string, reason: SessionEndReason): Promise<string[]> {
    return this.kit.transactions.run(tenantId, async () => {
      const open = await this.sessions.openIds(tenantId, userId);
      const ended: string[] = [];
      for (const sessionId of open.filter((id) => id !== keepSessionId)) ended.push(...(await this.end(tenantId, { sessionId }, reason)));
      return ended;
    });
  }

  /** Logout by refresh token: ends its session, whatever state the token is in. Unknown tokens end nothing. */
  async endByRefreshToken(presented: string): Promise<void> {
    const tenantId = tenantOfRefreshToken(presented);
    if (tenantId === null || !(await this.tenants.activeById(tenantId))) return;
    const token = await this.refreshTokens.find(tenantId, hashRefreshToken(presented));
    if (!token) return;
    const session = await this.sessions.lifetime(tenantId, token.sessionId);
    if (!session) return;
    bindCaller({ type: 'user', id: session.userId }, tenantId);
    annotateAudit({ sessionId: session.id });
    await this.end(tenantId, { sessionId: session.id }, 'logout');
  }

  /** The caller's sessions that can still be used, newest first. */
  async listUsable(tenantId: string, userId: string): Promise<SessionRecord[]> {
    const now = Date.now();
    return (await this.sessions.listOpen(tenantId, userId)).filter((session) => usability(session, now) === null);
  }

  async ownedSession(tenantId: string, userId: string, sessionId: string): Promise<SessionLifetime | null> {
    const session = await this.sessions.lifetime(tenantId, sessionId);
    return session?.userId === userId ? session : null;
  }

  private async rotate(tenantId: string, presented: string): Promise<RefreshOutcome> {
    const tokenHash = hashRefreshToken(presented);
    const token = await this.refreshTokens.find(tenantId, tokenHash);
    if (!token) return { kind: 'invalid', reason: 'unknown_token' };
    const session = await this.sessions.lifetime(tenantId, token.sessionId);
    if (!session) return { kind: 'invalid', reason: 'unknown_session' };
    bindCaller({ type: 'user', id: session.userId }, tenantId);
    const unusable = usability(session, Date.now());
    if (unusable) return { kind: 'invalid', reason: unusable };

    const successor = successorRefreshToken(presented, tenantId, (await this.kit.keys.current(tenantId, 'index')).key);
    if (await this.refreshTokens.spend(tenantId, tokenHash)) {
      await this.refreshTokens.issue(tenantId, session.id, hashRefreshToken(successor));
      await this.sessions.markUsed(tenantId, session.id, new Date());
      return { kind: 'rotated', session, refreshToken: successor };
    }
    // Spent already (perhaps a moment ago by a concurrent request, whose commit we waited for): read it again.
    const spent = await this.refreshTokens.find(tenantId, tokenHash);
    if (spent?.spentAt && Date.now() - spent.spentAt.getTime() <= REFRESH_REUSE_GRACE_MS) {
      const next = await this.refreshTokens.find(tenantId, hashRefreshToken(successor));
      if (next && next.spentAt === null) return { kind: 'duplicate', session, refreshToken: successor };
    }
    await this.sessions.revoke(tenantId, { sessionId: session.id }, 'refresh_token_reused');
    return { kind: 'reused', session };
  }

  private async pair(tenantId: string, session: Pick<SessionRecord, 'id' | 'userId' | 'lastUsedAt' | 'idleTimeoutSeconds' | 'expiresAt' | 'authenticationMethods'>, role: Role, refreshToken: string): Promise<TokenPair> {
    const accessToken = await this.issuer.issue({
      userId: session.userId,
      tenantId,
      role,
      sessionId: session.id,
      authenticationMethods: session.authenticationMethods,
    });
    const untilAbsoluteEnd = Math.floor((session.expiresAt.getTime() - Date.now()) / 1000);
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      refreshExpiresIn: Math.max(0, Math.min(session.idleTimeoutSeconds, untilAbsoluteEnd)),
    };
  }

  private refuse(reason: string): never {
    annotateAudit({ reason });
    throw new RefreshTokenInvalidError();
  }
}

/** Why a session can no longer be used, or null when it can. */
function usability(session: Pick<SessionRecord, 'revokedAt' | 'expiresAt' | 'lastUsedAt' | 'idleTimeoutSeconds'>, now: number): string | null {
  if (session.revokedAt !== null) return 'session_ended';
  if (session.expiresAt.getTime() <= now) return 'session_expired';
  if (now - session.lastUsedAt.getTime() > session.idleTimeoutSeconds * 1000) return 'idle_timeout';
  return null;
}
