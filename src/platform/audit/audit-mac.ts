import { createHash, createHmac, KeyObject } from 'node:crypto';
import { AuditDetails, AuditRecord } from './audit-event';

function canonicalDetails(details: AuditDetails): string {
  return JSON.stringify(Object.keys(details).sort().map((key) => [key, details[key]]));
}

/** The exact bytes an audit row's MAC covers; stable across the jsonb round trip (keys sorted). */
export function canonicalAuditRecord(record: AuditRecord): string {
  return JSON.stringify([
    'audit.v1',
    record.id,
    record.tenantId,
    record.occurredAt.toISOString(),
    record.actorType,
    record.actorId,
    record.action,
    record.resourceType,
    record.resourceId,
    record.outcome,
    record.requestId,
    record.ip,
    record.userAgent,
    canonicalDetails(record.details),
  ]);
}

/** Keyed with the tenant's audit key, so even a database superuser cannot forge a row that verifies. */
export function auditRowMac(key: KeyObject, record: AuditRecord): Buffer {
  return createHmac('sha256', key).update(canonicalAuditRecord(record)).digest();
}

export interface CheckpointContent {
  tenantId: string;
  seq: number;
  xactLower: string;
  xactUpper: string;
  prevDigest: Buffer | null;
  events: readonly { id: string; rowMac: Buffer }[];
}

export function checkpointDigest(content: CheckpointContent): Buffer {
  const hash = createHash('sha256')
    .update(`checkpoint.v1\u0000${content.tenantId}\u0000${content.seq}\u0000${content.xactLower}\u0000${content.xactUpper}\u0000`)
    .update(content.prevDigest ?? Buffer.alloc(0));
  for (const event of content.events) hash.update(event.id).update(event.rowMac);
  return hash.digest();
}

export function checkpointMac(key: KeyObject, digest: Buffer): Buffer {
  return createHmac('sha256', key).update(digest).digest();
}
