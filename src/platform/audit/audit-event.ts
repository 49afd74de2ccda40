import { ActorType } from '../context/request-context';

export type AuditOutcome = 'success' | 'denied' | 'failed';

/** Ids, counts and codes only: an audit row must never hold PHI. */
export type AuditDetailValue = string | number | boolean | null | readonly string[] | readonly number[];
export type AuditDetails = Readonly<Record<string, AuditDetailValue>>;

/** What a caller says happened; who, where and for which tenant come from the request context. */
export interface AuditEventInput {
  /** dotted lower-case, e.g. "user.read", "tenant.create", "http.request" */
  action: string;
  outcome: AuditOutcome;
  resourceType?: string;
  resourceId?: string;
  details?: AuditDetails;
  /** Overrides the context's tenant (for example an event about a tenant being created). */
  tenantId?: string;
}

/** One row of audit_event, as written and as the verifier reads it back. */
export interface AuditRecord {
  id: string;
  tenantId: string;
  occurredAt: Date;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: AuditOutcome;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: AuditDetails;
}

/** Events that belong to no tenant (a request before its tenant is known) are kept under the nil UUID. */
export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';
