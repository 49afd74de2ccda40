import { ActorType } from '../context/request-context';
import { AuditDetails, AuditOutcome, AuditRecord } from './audit-event';

/** audit_event as PostgreSQL returns it. */
export interface AuditEventRow {
  id: string;
  tenant_id: string;
  occurred_at: Date;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: AuditOutcome;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: AuditDetails;
  xact_id: string;
  row_mac: Buffer;
  mac_key_version: number;
}

export const AUDIT_EVENT_COLUMNS = `id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
  outcome, request_id, ip, user_agent, details, xact_id::text AS xact_id, row_mac, mac_key_version`;

export function toAuditRecord(row: AuditEventRow): AuditRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    outcome: row.outcome,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    details: row.details,
  };
}
