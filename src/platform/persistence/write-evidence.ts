import { AuditDetails, AuditEventInput } from '../audit/audit-event';
import { AUDIT_EVENT_COLUMNS, AuditWriter } from '../audit/audit.writer';
import { TenantTx } from '../database/tenant-transactions';
import { appendOutboxEvent, OUTBOX_EVENT_COLUMNS, OutboxEvent, outboxRowValues } from '../realtime/outbox';
import { Statement } from './statement-builder';

export interface AuditOptions {
  /** Overrides the default action (`<resource>.read|create|update|delete`). */
  auditAction?: string;
  auditDetails?: AuditDetails;
  /** A write's realtime announcement: committed with the write and its audit event, or not at all. */
  outbox?: OutboxEvent;
}

export type WriteVerb = 'create' | 'update' | 'delete';

/** A value the insert drew from a counter, announced in the outbox payload under the property's name. */
export interface DrawnValue {
  property: string;
  column: string;
}

/** How a multi-row write names its rows in the audit event (the first hundred ids). */
export function rowsNamed(ids: readonly string[]): AuditDetails {
  return { count: ids.length, ids: ids.slice(0, 100) };
}

/**
 * What a write leaves behind besides itself: its audit event and, when it announces something, its outbox row. Both
 * commit with the write or not at all: as further statements of its transaction, or as parts of its own statement
 * (the send, where a round trip counts).
 */
export class WriteEvidence {
  constructor(private readonly resourceType: string, private readonly audit: Pick<AuditWriter, 'recordInTransaction' | 'rowValues'>) {}

  /** The audit event of a write of these rows: `<resource>.<verb>` unless the caller names the action. */
  eventOf(verb: WriteVerb, ids: readonly string[], options: AuditOptions, details: AuditDetails = {}): AuditEventInput {
    return {
      action: options.auditAction ?? `${this.resourceType}.${verb}`,
      outcome: 'success',
      resourceType: this.resourceType,
      resourceId: ids.length === 1 ? ids[0] : undefined,
      details: { ...details, ...options.auditDetails },
    };
  }

  /** In the write's transaction, after it: the audit event, then the realtime announcement if there is one. */
  async record(tx: TenantTx, event: AuditEventInput, outbox?: OutboxEvent): Promise<void> {
    await this.audit.recordInTransaction(tx, event);
    if (outbox) await appendOutboxEvent(tx, outbox);
  }

  /**
   * The same evidence as common table expressions of the write's statement, inserted once per row of `written` (so
   * not at all when nothing was written), parameters numbered in `statement`.
   */
  async statementParts(tx: TenantTx, statement: Statement, event: AuditEventInput, outbox?: OutboxEvent, drawn?: DrawnValue): Promise<string[]> {
    const parts = [`audited AS (INSERT INTO audit_event (${AUDIT_EVENT_COLUMNS}) SELECT ${statement.addAll(await this.audit.rowValues(tx, event))} FROM written)`];
    if (outbox) {
      const [outboxTenant, channel, eventType, payload] = outboxRowValues(tx.tenantId, outbox).map((value) => statement.add(value));
      const drawnValue = drawn ? ` || jsonb_build_object('${drawn.property}', written.${drawn.column})` : '';
      parts.push(`announced AS (INSERT INTO outbox_event (${OUTBOX_EVENT_COLUMNS})
        SELECT ${outboxTenant}, ${channel}, ${eventType}, ${payload}::jsonb${drawnValue} FROM written)`);
    }
    return parts;
  }
}
