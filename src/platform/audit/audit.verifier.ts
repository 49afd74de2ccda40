import { timingSafeEqual } from 'node:crypto';
import { TenantKeys } from '../crypto/tenant-keys';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';
import { auditRowMac, checkpointDigest, checkpointMac } from './audit-mac';
import { AUDIT_EVENT_COLUMNS, AuditEventRow, toAuditRecord } from './audit-row';

export type AuditProblem =
  | 'event_modified'
  | 'event_missing'
  | 'event_not_checkpointed'
  | 'checkpoint_modified'
  | 'checkpoint_missing';

export type VerifyResult =
  | { intact: true; tenantId: string; events: number; checkpoints: number }
  | { intact: false; tenantId: string; problem: AuditProblem; eventId?: string; checkpointSeq?: number };

interface CheckpointRow {
  seq: number;
  xact_lower: string;
  xact_upper: string;
  event_ids: string[];
  prev_digest: Buffer | null;
  digest: Buffer;
  mac: Buffer;
  mac_key_version: number;
}

/**
 * Re-derives a tenant's audit trail: every row's MAC, and every checkpoint's MAC, chain link and exact list of
 * rows. Returns the first event or checkpoint that does not match.
 */
export class AuditVerifier {
  constructor(private readonly transactions: TenantTransactions, private readonly keys: TenantKeys) {}

  verifyTenant(tenantId: string): Promise<VerifyResult> {
    return this.transactions.run(tenantId, (tx) => this.verify(tx, tenantId));
  }

  private async verify(tx: TenantTx, tenantId: string): Promise<VerifyResult> {
    const { rows: checkpoints } = await tx.query<CheckpointRow>(
      `SELECT seq, xact_lower::text AS xact_lower, xact_upper::text AS xact_upper, event_ids, prev_digest, digest, mac, mac_key_version
       FROM audit_checkpoint WHERE tenant_id = $1 ORDER BY seq`,
      [tenantId],
    );
    const fail = (problem: AuditProblem, found: { eventId?: string; checkpointSeq?: number }): VerifyResult =>
      ({ intact: false, tenantId, problem, ...found });

    let previous: CheckpointRow | undefined;
    let events = 0;
    for (const checkpoint of checkpoints) {
      const expectedSeq = (previous?.seq ?? 0) + 1;
      if (checkpoint.seq !== expectedSeq) return fail('checkpoint_missing', { checkpointSeq: expectedSeq });
      const linked = checkpoint.xact_lower === (previous?.xact_upper ?? '0')
        && sameBytes(checkpoint.prev_digest, previous?.digest ?? null);
      const macKey = await this.keys.version(tenantId, 'audit', checkpoint.mac_key_version);
      if (!linked || !sameBytes(checkpoint.mac, checkpointMac(macKey.key, checkpoint.digest))) {
        return fail('checkpoint_modified', { checkpointSeq: checkpoint.seq });
      }

      const rows = await this.rowsBetween(tx, tenantId, checkpoint.xact_lower, checkpoint.xact_upper);
      const present = new Set(rows.map((r) => r.id));
      const listed = new Set(checkpoint.event_ids);
      const missing = checkpoint.event_ids.find((id) => !present.has(id));
      if (missing) return fail('event_missing', { eventId: missing });
      const unlisted = rows.find((r) => !listed.has(r.id));
      if (unlisted) return fail('event_not_checkpointed', { eventId: unlisted.id });
      const modified = await this.firstModified(tenantId, rows);
      if (modified) return fail('event_modified', { eventId: modified });

      const byId = new Map(rows.map((r) => [r.id, r]));
      const digest = checkpointDigest({
        tenantId,
        seq: checkpoint.seq,
        xactLower: checkpoint.xact_lower,
        xactUpper: checkpoint.xact_upper,
        prevDigest: checkpoint.prev_digest,
        events: checkpoint.event_ids.map((id) => ({ id, rowMac: (byId.get(id) as AuditEventRow).row_mac })),
      });
      if (!sameBytes(digest, checkpoint.digest)) return fail('checkpoint_modified', { checkpointSeq: checkpoint.seq });
      events += rows.length;
      previous = checkpoint;
    }

    const tail = await this.rowsBetween(tx, tenantId, previous?.xact_upper ?? '0', null);
    const modified = await this.firstModified(tenantId, tail);
    if (modified) return fail('event_modified', { eventId: modified });
    return { intact: true, tenantId, events: events + tail.length, checkpoints: checkpoints.length };
  }

  private async rowsBetween(tx: TenantTx, tenantId: string, lower: string, upper: string | null): Promise<AuditEventRow[]> {
    const { rows } = await tx.query<AuditEventRow>(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_event
       WHERE tenant_id = $1 AND xact_id >= $2::xid8 AND ($3::xid8 IS NULL OR xact_id < $3::xid8)
       ORDER BY xact_id, id`,
      [tenantId, lower, upper],
    );
    return rows;
  }

  private async firstModified(tenantId: string, rows: readonly AuditEventRow[]): Promise<string | undefined> {
    for (const row of rows) {
      const key = await this.keys.version(tenantId, 'audit', row.mac_key_version);
      if (row.tenant_id !== tenantId || !sameBytes(row.row_mac, auditRowMac(key.key, toAuditRecord(row)))) return row.id;
    }
    return undefined;
  }
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && timingSafeEqual(a, b);
}
