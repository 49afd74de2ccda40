import { DataSource } from 'typeorm';
import { TenantKeys } from '../crypto/tenant-keys';
import { checkpointDigest, checkpointMac } from './audit-mac';

/** Any constant shared by every instance: only one sealer runs at a time across the cluster. */
const SEALER_LOCK_ID = 7_361_001;

interface PendingRow {
  id: string;
  tenant_id: string;
  row_mac: Buffer;
}

interface LastCheckpoint {
  tenant_id: string;
  seq: number;
  xact_upper: string;
  digest: Buffer;
}

export interface SealResult {
  sealed: boolean;
  checkpoints: number;
  events: number;
  xactUpper?: string;
}

/**
 * Checkpoints the audit trail off the hot path. Each pass takes, in a REPEATABLE READ snapshot, every row whose
 * transaction id is below the oldest still-running transaction (so a late commit is never skipped), and appends
 * per tenant a checkpoint listing those rows, chained to the tenant's previous checkpoint and MACed with its audit
 * key. The verifier then detects an edited, deleted or inserted row.
 */
export class AuditSealer {
  constructor(private readonly ownerDataSource: DataSource, private readonly keys: TenantKeys) {}

  async sealPending(): Promise<SealResult> {
    const runner = this.ownerDataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const [bounds] = await runner.query(
        `SELECT pg_try_advisory_xact_lock($1) AS locked,
                pg_snapshot_xmin(pg_current_snapshot())::text AS upper,
                COALESCE((SELECT max(xact_upper) FROM audit_seal_run), '0'::xid8)::text AS lower`,
        [SEALER_LOCK_ID],
      ) as { locked: boolean; upper: string; lower: string }[];
      if (!bounds.locked) {
        await runner.query('ROLLBACK');
        return { sealed: false, checkpoints: 0, events: 0 };
      }
      const rows = await runner.query(
        `SELECT id, tenant_id, row_mac FROM audit_event
         WHERE xact_id >= $1::xid8 AND xact_id < $2::xid8 ORDER BY tenant_id, xact_id, id`,
        [bounds.lower, bounds.upper],
      ) as PendingRow[];
      if (rows.length === 0) {
        await runner.query('COMMIT');
        return { sealed: true, checkpoints: 0, events: 0, xactUpper: bounds.upper };
      }
      const byTenant = groupByTenant(rows);
      const previous = await runner.query(
        `SELECT DISTINCT ON (tenant_id) tenant_id, seq, xact_upper::text AS xact_upper, digest
         FROM audit_checkpoint WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id, seq DESC`,
        [[...byTenant.keys()]],
      ) as LastCheckpoint[];
      const lastByTenant = new Map(previous.map((p) => [p.tenant_id, p]));

      for (const [tenantId, events] of byTenant) {
        const last = lastByTenant.get(tenantId);
        const content = {
          tenantId,
          seq: (last?.seq ?? 0) + 1,
          xactLower: last?.xact_upper ?? '0',
          xactUpper: bounds.upper,
          prevDigest: last?.digest ?? null,
          events: events.map((e) => ({ id: e.id, rowMac: e.row_mac })),
        };
        const digest = checkpointDigest(content);
        const key = await this.keys.current(tenantId, 'audit');
        await runner.query(
          `INSERT INTO audit_checkpoint (tenant_id, seq, xact_lower, xact_upper, event_ids, prev_digest, digest, mac, mac_key_version)
           VALUES ($1, $2, $3::xid8, $4::xid8, $5::uuid[], $6, $7, $8, $9)`,
          [tenantId, content.seq, content.xactLower, content.xactUpper, events.map((e) => e.id), content.prevDigest, digest,
            checkpointMac(key.key, digest), key.version],
        );
      }
      await runner.query('INSERT INTO audit_seal_run (xact_upper) VALUES ($1::xid8)', [bounds.upper]);
      await runner.query('COMMIT');
      return { sealed: true, checkpoints: byTenant.size, events: rows.length, xactUpper: bounds.upper };
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

function groupByTenant(rows: PendingRow[]): Map<string, PendingRow[]> {
  const groups = new Map<string, PendingRow[]>();
  for (const row of rows) {
    const group = groups.get(row.tenant_id);
    if (group) group.push(row);
    else groups.set(row.tenant_id, [row]);
  }
  return groups;
}
