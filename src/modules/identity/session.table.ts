import { TableDefinition } from '../../platform/persistence/table-definition';

export type SessionEndReason =
  | 'logout' | 'logout_all' | 'session_revoked' | 'password_changed' | 'role_changed' | 'user_disabled' | 'refresh_token_reused';

/** One login: the family its refresh tokens rotate within. Access tokens name it as `sid`. */
export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  idleTimeoutSeconds: number;
  expiresAt: Date;
  authenticationMethods: string[];
  mfaEnrolmentPending: boolean;
  /** IP addresses are HIPAA identifiers: sealed. */
  ip: string | null;
  userAgent: string | null;
  revokedAt: Date | null;
  revokedReason: SessionEndReason | null;
}

export const sessionTable: TableDefinition<SessionRecord> = {
  table: 'auth_session',
  resourceType: 'auth_session',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    userId: { column: 'user_id' },
    createdAt: { column: 'created_at' },
    lastUsedAt: { column: 'last_used_at' },
    idleTimeoutSeconds: { column: 'idle_timeout_seconds' },
    expiresAt: { column: 'expires_at' },
    authenticationMethods: { column: 'authentication_methods' },
    mfaEnrolmentPending: { column: 'mfa_enrolment_pending' },
    ip: { column: 'ip_sealed', sealed: true },
    userAgent: { column: 'user_agent_sealed', sealed: true },
    revokedAt: { column: 'revoked_at' },
    revokedReason: { column: 'revoked_reason' },
  },
};
