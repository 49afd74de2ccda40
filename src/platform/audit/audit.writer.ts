import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { currentContext } from '../context/request-context';
import { TenantKeys } from '../crypto/tenant-keys';
import { TenantTx } from '../database/tenant-transactions';
import { AppError, AuditUnavailableError } from '../errors';
import { AuditEventInput, AuditRecord, PLATFORM_TENANT_ID } from './audit-event';
import { auditRowMac } from './audit-mac';

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const RESOURCE_TYPE = /^[a-z][a-z0-9_]*$/;

export class InvalidAuditEventError extends Error {}

/** audit_event's columns, in the order rowValues returns them. */
export const AUDIT_EVENT_COLUMNS = 'id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, '
  + 'request_id, ip, user_agent, details, row_mac, mac_key_version';

interface SealedRecord {
  record: AuditRecord;
  rowMac: Buffer;
  macKeyVersion: number;
}

interface Waiter {
  row: SealedRecord;
  resolve(): void;
  reject(error: unknown): void;
}

export interface AuditWriterOptions {
  /** Extra wait before a batch leaves, to gather more rows; 0 sends as soon as a connection is free. */
  batchWindowMs: number;
  maxBatchSize: number;
  maxConcurrentBatches: number;
}

/**
 * Writes audit_event rows. A change to PHI records its event inside the change's own transaction; reads and
 * requests record theirs through `record`, which groups concurrent events into one statement and resolves only
 * once that statement has committed, so a response never leaves before its audit row exists (fail closed).
 */
export class AuditWriter {
  private queue: Waiter[] = [];
  private batchesInFlight = 0;
  private flushScheduled = false;
  /**
   * A batch serves every caller, so it runs in no caller's async context: not in a request's, and not inside a
   * caller's open transaction, where taking a connection would be refused as a nested acquisition.
   */
  private readonly outsideAnyCaller = AsyncLocalStorage.snapshot();

  constructor(
    private readonly keys: TenantKeys,
    private readonly dataSource: DataSource,
    private readonly options: AuditWriterOptions,
  ) {}

  async recordInTransaction(tx: TenantTx, input: AuditEventInput): Promise<void> {
    const values = await this.rowValues(tx, input);
    await tx.query(`INSERT INTO audit_event (${AUDIT_EVENT_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  }

  /**
   * The sealed row (values in AUDIT_EVENT_COLUMNS order) for an INSERT that the caller's own statement carries, so a
   * write and its audit event reach the database in one round trip, in `tx`.
   */
  async rowValues(tx: TenantTx, input: AuditEventInput): Promise<unknown[]> {
    const { record, rowMac, macKeyVersion } = await this.seal({ ...input, tenantId: input.tenantId ?? tx.tenantId });
    if (record.tenantId !== tx.tenantId) throw new InvalidAuditEventError('audit event tenant differs from its transaction');
    const context = currentContext();
    // Within an audited request, this event (once committed) is the request's record of the write.
    if (context?.pendingReads && context.tenantId === tx.tenantId) tx.onCommit(() => { context.writeAudited = true; });
    return [record.id, record.tenantId, record.occurredAt, record.actorType, record.actorId, record.action, record.resourceType,
      record.resourceId, record.outcome, record.requestId, record.ip, record.userAgent, JSON.stringify(record.details), rowMac, macKeyVersion];
  }

  async record(input: AuditEventInput): Promise<void> {
    let row: SealedRecord;
    try {
      row = await this.seal(input);
    } catch (error) {
      if (error instanceof InvalidAuditEventError || error instanceof AppError) throw error;
      throw new AuditUnavailableError();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.scheduleFlush();
    });
  }

  private async seal(input: AuditEventInput): Promise<SealedRecord> {
    if (!ACTION.test(input.action) || input.action.length > 100) throw new InvalidAuditEventError(`invalid audit action ${input.action}`);
    if (input.resourceType !== undefined && !RESOURCE_TYPE.test(input.resourceType)) throw new InvalidAuditEventError('invalid resource type');
    const context = currentContext();
    const record: AuditRecord = {
      id: randomUUID(),
      tenantId: input.tenantId ?? context?.tenantId ?? PLATFORM_TENANT_ID,
      occurredAt: new Date(),
      actorType: context?.actor.type ?? 'system',
      actorId: context?.actor.id ?? null,
      action: input.action,
      resourceType: input.resourceType ?? null,
      resourceId: input.resourceId ?? null,
      outcome: input.outcome,
      requestId: context?.requestId ?? null,
      ip: context?.ip?.slice(0, 64) ?? null,
      userAgent: context?.userAgent?.slice(0, 512) ?? null,
      details: input.details ?? {},
    };
    const key = await this.keys.current(record.tenantId, 'audit');
    return { record, rowMac: auditRowMac(key.key, record), macKeyVersion: key.version };
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.batchesInFlight >= this.options.maxConcurrentBatches) return;
    this.flushScheduled = true;
    const flush = (): void => this.outsideAnyCaller(() => {
      this.flushScheduled = false;
      void this.flush();
    });
    if (this.options.batchWindowMs > 0) setTimeout(flush, this.options.batchWindowMs);
    else setImmediate(flush);
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    this.batchesInFlight += 1;
    if (this.queue.length > 0) this.scheduleFlush();
    try {
      await this.dataSource.query('SELECT audit_append($1::jsonb)', [JSON.stringify(batch.map((w) => toJson(w.row)))]);
      for (const waiter of batch) waiter.resolve();
    } catch {
      for (const waiter of batch) waiter.reject(new AuditUnavailableError());
    } finally {
      this.batchesInFlight -= 1;
      if (this.queue.length > 0) this.scheduleFlush();
    }
  }
}

function toJson({ record, rowMac, macKeyVersion }: SealedRecord): Record<string, unknown> {
  return {
    id: record.id,
    tenant_id: record.tenantId,
    occurred_at: record.occurredAt.toISOString(),
    actor_type: record.actorType,
    actor_id: record.actorId,
    action: record.action,
    resource_type: record.resourceType,
    resource_id: record.resourceId,
    outcome: record.outcome,
    request_id: record.requestId,
    ip: record.ip,
    user_agent: record.userAgent,
    details: record.details,
    row_mac: rowMac.toString('base64'),
    mac_key_version: macKeyVersion,
  };
}
