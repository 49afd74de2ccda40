import { AUDIT_SEAL_QUEUE } from '../../../src/platform/audit/audit-sealing.job';
import { Platform } from '../../../src/platform/platform';
import { asOwner, provisionTenant } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';
import { eventually } from '../../support/eventually';

const open: Platform[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

describe('the audit sealing pass as a durable job', () => {
  it('checkpoints new audit events through the queue, on two instances, without a call to the sealer', async () => {
    const settings = { JOBS_POLL_INTERVAL_MS: '500', AUDIT_SEAL_INTERVAL_MS: '300' };
    const a = await createTestPlatform({}, settings);
    open.push(a);
    const b = await createTestPlatform({}, settings);
    open.push(b);
    const tenant = await provisionTenant(a);
    for (let i = 0; i < 3; i += 1) await a.audit.record({ action: 'test.sealed_by_job', outcome: 'success', tenantId: tenant.tenantId });
    const events = await asOwner(async (owner) =>
      (await owner.query<{ id: string }>('SELECT id FROM audit_event WHERE tenant_id = $1', [tenant.tenantId])).rows.map((r) => r.id));

    await Promise.all([a.jobs.start(), b.jobs.start()]);
    const checkpointed = await eventually(
      () => asOwner(async (owner) =>
        (await owner.query<{ event_ids: string[] }>('SELECT event_ids FROM audit_checkpoint WHERE tenant_id = $1', [tenant.tenantId])).rows
          .flatMap((r) => r.event_ids)),
      (ids) => events.every((id) => ids.includes(id)),
    );
    expect(new Set(checkpointed).size).toBe(checkpointed.length);
    expect(await a.auditVerifier.verifyTenant(tenant.tenantId)).toMatchObject({ intact: true, events: events.length });

    // The passes are pg-boss jobs of the audit.seal queue; each one's output counts what it sealed.
    const passes = await asOwner(async (owner) => (await owner.query<{ state: string; output: { checkpoints: number; events: number } }>(
      `SELECT state, output FROM pgboss.job WHERE name = $1 AND state = 'completed'`, [AUDIT_SEAL_QUEUE])).rows);
    expect(passes.some((pass) => pass.output.checkpoints >= 1 && pass.output.events >= events.length)).toBe(true);
  });

  it('keeps sealing after every instance has restarted', async () => {
    const settings = { JOBS_POLL_INTERVAL_MS: '500', AUDIT_SEAL_INTERVAL_MS: '300' };
    const first = await createTestPlatform({}, settings);
    open.push(first);
    await first.jobs.start();
    await first.close();

    const second = await createTestPlatform({}, settings);
    open.push(second);
    const tenant = await provisionTenant(second);
    await second.jobs.start();
    await eventually(
      () => asOwner(async (owner) => (await owner.query('SELECT 1 FROM audit_checkpoint WHERE tenant_id = $1', [tenant.tenantId])).rowCount ?? 0),
      (count) => count > 0,
    );
    const queued = await asOwner(async (owner) => (await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'created'`, [AUDIT_SEAL_QUEUE])).rows[0].n);
    // One pass waits for its turn: the chain is neither broken nor doubled by the restart.
    expect(queued).toBe(1);
  });
});
