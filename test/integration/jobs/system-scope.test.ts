import { ProvisionedTenant } from '../../../src/modules/onboarding';
import { TenantScopeViolationError } from '../../../src/platform/errors';
import { actAsSystem } from '../../../src/platform/jobs/system-scope';
import { Platform } from '../../../src/platform/platform';
import { asOwner, provisionTenant } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';

let platform: Platform;
let tenants: ProvisionedTenant[];
beforeAll(async () => {
  platform = await createTestPlatform();
  tenants = [await provisionTenant(platform), await provisionTenant(platform), await provisionTenant(platform)];
});
afterAll(async () => { await platform.close(); });

describe('the system scope', () => {
  it('visits every tenant, one scope at a time, as the named system actor', async () => {
    const scope = platform.systemScope('test-visitor');
    const usersSeen = new Map<string, string[]>();
    const visits = await scope.forEachTenant(async (tx) => {
      const { rows } = await tx.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM app_user');
      usersSeen.set(tx.tenantId, rows.map((r) => r.tenant_id));
      await platform.audit.recordInTransaction(tx, { action: 'test.system_visit', outcome: 'success', resourceType: 'tenant', resourceId: tx.tenantId });
    });

    const allTenants = await asOwner(async (owner) => (await owner.query<{ id: string }>('SELECT id FROM tenant ORDER BY id')).rows.map((r) => r.id));
    expect(visits).toEqual(allTenants.map((tenantId) => ({ tenantId })));
    for (const { tenantId } of tenants) {
      expect(usersSeen.get(tenantId)).toEqual([tenantId]);
      const events = await asOwner(async (owner) => (await owner.query(
        `SELECT actor_type, actor_id, request_id FROM audit_event WHERE tenant_id = $1 AND action = 'test.system_visit'`, [tenantId])).rows);
      expect(events).toEqual([{ actor_type: 'system', actor_id: 'test-visitor', request_id: expect.any(String) }]);
    }
  });

  it('names the job run as the request of its audit events', async () => {
    const [tenant] = tenants;
    await actAsSystem('test-visitor', () => platform.systemScope('test-visitor').inTenant(tenant.tenantId, (tx) =>
      platform.audit.recordInTransaction(tx, { action: 'test.system_run', outcome: 'success' })), 'job-run-1');
    const events = await asOwner(async (owner) => (await owner.query(
      `SELECT actor_type, actor_id, request_id FROM audit_event WHERE tenant_id = $1 AND action = 'test.system_run'`, [tenant.tenantId])).rows);
    expect(events).toEqual([{ actor_type: 'system', actor_id: 'test-visitor', request_id: 'job-run-1' }]);
  });

  it("cannot see or join another tenant's rows inside one tenant's scope", async () => {
    const [a, b] = tenants;
    const scope = platform.systemScope('test-visitor');
    await scope.inTenant(a.tenantId, async (tx) => {
      expect((await tx.query('SELECT id FROM app_user WHERE tenant_id = $1', [b.tenantId])).rows).toEqual([]);
      expect((await tx.query('SELECT id FROM tenant WHERE id = $1', [b.tenantId])).rows).toEqual([]);
      await expect(platform.transactions.run(b.tenantId, (other) => other.query('SELECT 1'))).rejects.toBeInstanceOf(TenantScopeViolationError);
      await expect(scope.inTenant(b.tenantId, (other) => other.query('SELECT 1'))).rejects.toBeInstanceOf(TenantScopeViolationError);
    });
  });

  it('lists tenants on the runtime role, which reads no tenant row outside a scope', async () => {
    const listed: string[] = [];
    for await (const id of platform.systemScope('test-visitor').tenantIds()) listed.push(id);
    expect(listed).toEqual(expect.arrayContaining(tenants.map((t) => t.tenantId)));
    const [{ role }] = await platform.dataSources.app.query('SELECT current_user AS role') as { role: string }[];
    expect(role).toBe('sealed_app');
    expect(await platform.dataSources.app.query('SELECT id FROM tenant')).toEqual([]);
  });

  it('refuses an actor name that is not a job name', () => {
    expect(() => platform.systemScope('System Admin')).toThrow(/invalid system actor/);
    expect(() => platform.systemScope('x'.repeat(129))).toThrow(/invalid system actor/);
  });
});
