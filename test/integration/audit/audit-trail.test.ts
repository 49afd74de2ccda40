import { randomUUID } from 'node:crypto';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { runInContext } from '../../../src/platform/context/request-context';
import { ErrorCode } from '../../../src/platform/errors';
import { HTTP_STATUS_BY_CODE } from '../../../src/platform/http/error-status';
import { Platform } from '../../../src/platform/platform';
import { asOwner, provisionTenant, rawClient } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';

let platform: Platform;
let users: UserRepository;
beforeAll(async () => {
  platform = await createTestPlatform();
  users = new UserRepository(platform.persistence);
});
afterAll(async () => { await platform.close(); });

const userContext = (tenantId: string, actorId: string) => ({ requestId: randomUUID(), actor: { type: 'user' as const, id: actorId }, tenantId, ip: '10.0.0.7', userAgent: 'jest' });

async function auditRows(tenantId: string): Promise<{ id: string; action: string; resource_id: string | null; details: Record<string, unknown> }[]> {
  return asOwner(async (owner) =>
    (await owner.query('SELECT id, action, resource_id, details FROM audit_event WHERE tenant_id = $1 ORDER BY xact_id, id', [tenantId])).rows);
}

describe('audit is part of the write and of the read', () => {
  it('records a PHI read before returning it, with ids only', async () => {
    const tenant = await provisionTenant(platform);
    await runInContext(userContext(tenant.tenantId, tenant.adminUserId), () => users.findById(tenant.tenantId, tenant.adminUserId));
    const reads = (await auditRows(tenant.tenantId)).filter((r) => r.action === 'user.read');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ resource_id: tenant.adminUserId, details: { count: 1, ids: [tenant.adminUserId] } });
  });

  it('writes nothing when the audit insert of a PHI write fails', async () => {
    const tenant = await provisionTenant(platform);
    // The audit row violates a CHECK constraint (actor id longer than 128), so the INSERT of the event fails in the database.
    const hostile = { ...userContext(tenant.tenantId, 'x'.repeat(200)) };
    await expect(runInContext(hostile, () => users.create({ tenantId: tenant.tenantId, email: 'ghost@t.test', displayName: 'Ghost', role: 'member', passwordHash: null })))
      .rejects.toThrow();
    expect(await users.findByEmail(tenant.tenantId, 'ghost@t.test')).toBeNull();
    expect((await auditRows(tenant.tenantId)).filter((r) => r.action === 'user.create')).toHaveLength(1);
  });

  it('fails a PHI read whose audit cannot be written (fail closed)', async () => {
    const tenant = await provisionTenant(platform);
    const hostile = userContext(tenant.tenantId, 'x'.repeat(200));
    await expect(runInContext(hostile, () => users.findById(tenant.tenantId, tenant.adminUserId)))
      .rejects.toMatchObject({ code: ErrorCode.AUDIT_UNAVAILABLE });
    expect(HTTP_STATUS_BY_CODE[ErrorCode.AUDIT_UNAVAILABLE]).toBe(503);
  });
});

describe('audit_event is append-only in the database', () => {
  it('refuses UPDATE, DELETE and TRUNCATE to sealed_app, and UPDATE to the owner by trigger', async () => {
    const tenant = await provisionTenant(platform);
    const app = await rawClient('sealed_app');
    const owner = await rawClient();
    try {
      await app.query('BEGIN');
      await app.query("SELECT set_config('app.tenant_id', $1, true)", [tenant.tenantId]);
      await app.query('SAVEPOINT s');
      await expect(app.query("UPDATE audit_event SET action = 'x.y'")).rejects.toThrow(/permission denied/);
      await app.query('ROLLBACK TO SAVEPOINT s');
      await expect(app.query('DELETE FROM audit_event')).rejects.toThrow(/permission denied/);
      await app.query('ROLLBACK TO SAVEPOINT s');
      await expect(app.query('TRUNCATE audit_event')).rejects.toThrow(/permission denied/);
      await app.query('ROLLBACK');

      await expect(owner.query("UPDATE audit_event SET action = 'x.y' WHERE tenant_id = $1", [tenant.tenantId])).rejects.toThrow(/append-only/);
      await expect(owner.query('DELETE FROM audit_event WHERE tenant_id = $1', [tenant.tenantId])).rejects.toThrow(/append-only/);
      await expect(owner.query('TRUNCATE audit_event')).rejects.toThrow(/append-only/);
    } finally {
      await app.end();
      await owner.end();
    }
  });
});

describe('tamper evidence', () => {
  it('verifies an intact trail, then names an edited row and a deleted row', async () => {
    const tenant = await provisionTenant(platform);
    for (let i = 0; i < 5; i += 1) await runInContext(userContext(tenant.tenantId, tenant.adminUserId), () => users.findById(tenant.tenantId, tenant.adminUserId));
    await platform.auditSealer.sealPending();
    expect(await platform.auditVerifier.verifyTenant(tenant.tenantId)).toMatchObject({ intact: true, events: 7 });

    const [, edited, deleted] = await auditRows(tenant.tenantId);
    const superuser = await rawClient();
    try {
      await superuser.query("SET session_replication_role = replica");
      await superuser.query("UPDATE audit_event SET actor_id = 'someone-else' WHERE id = $1", [edited.id]);
      expect(await platform.auditVerifier.verifyTenant(tenant.tenantId)).toEqual({ intact: false, tenantId: tenant.tenantId, problem: 'event_modified', eventId: edited.id });

      await superuser.query('DELETE FROM audit_event WHERE id = $1', [edited.id]);
      await superuser.query('DELETE FROM audit_event WHERE id = $1', [deleted.id]);
      const result = await platform.auditVerifier.verifyTenant(tenant.tenantId);
      expect(result).toMatchObject({ intact: false, problem: 'event_missing' });
      expect([edited.id, deleted.id]).toContain(result.intact ? undefined : result.eventId);
    } finally {
      await superuser.end();
    }
  });

  it('never leaves a late-committing transaction out of a checkpoint', async () => {
    const tenant = await provisionTenant(platform);
    let releaseLate!: () => void;
    const lateMayCommit = new Promise<void>((resolve) => { releaseLate = resolve; });
    let lateStarted!: () => void;
    const lateHasWritten = new Promise<void>((resolve) => { lateStarted = resolve; });

    // A write transaction that takes its xid first and commits last.
    const late = platform.transactions.run(tenant.tenantId, async (tx) => {
      await platform.audit.recordInTransaction(tx, { action: 'test.late', outcome: 'success' });
      lateStarted();
      await lateMayCommit;
    });
    await lateHasWritten;
    for (let i = 0; i < 3; i += 1) await platform.audit.record({ action: 'test.early', outcome: 'success', tenantId: tenant.tenantId });

    const checkpointedIds = (): Promise<string[]> => asOwner(async (owner) => {
      const { rows } = await owner.query<{ event_ids: string[] }>('SELECT event_ids FROM audit_checkpoint WHERE tenant_id = $1 ORDER BY seq', [tenant.tenantId]);
      return rows.flatMap((r) => r.event_ids);
    });

    expect((await platform.auditSealer.sealPending()).sealed).toBe(true);
    const whileRunning = new Set(await checkpointedIds());
    releaseLate();
    await late;
    const lateRow = (await auditRows(tenant.tenantId)).find((r) => r.action === 'test.late');
    expect(lateRow).toBeDefined();
    expect(whileRunning.has(lateRow?.id ?? '')).toBe(false);

    // A transaction still open anywhere in the cluster holds the watermark back, so sealing may take a few passes;
    // what must hold is that every row ends up in exactly one checkpoint.
    const all = (await auditRows(tenant.tenantId)).map((r) => r.id);
    const deadline = Date.now() + 20_000;
    let checkpointed = await checkpointedIds();
    while (checkpointed.length < all.length && Date.now() < deadline) {
      await platform.auditSealer.sealPending();
      checkpointed = await checkpointedIds();
      if (checkpointed.length < all.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(new Set(checkpointed)).toEqual(new Set(all));
    expect(checkpointed).toHaveLength(all.length);
    expect(await platform.auditVerifier.verifyTenant(tenant.tenantId)).toMatchObject({ intact: true });
  });
});
