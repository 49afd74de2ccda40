import { TenantProvisioning } from '../../../src/modules/tenants/tenant-provisioning';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { cliContext, runInContext } from '../../../src/platform/context/request-context';
import { Platform } from '../../../src/platform/platform';
import { createTestPlatform } from '../../support/test-platform';

let platform: Platform;
beforeAll(async () => { platform = await createTestPlatform(); });
afterAll(async () => { await platform.close(); });

it('provisions a tenant and reads its admin back', async () => {
  const created = await runInContext(cliContext('test'), () => new TenantProvisioning(platform.persistence).provision({
    slug: `smoke-${Date.now()}`, name: 'Smoke Clinic', adminEmail: 'Admin@Smoke.test', adminPassword: 'correct horse battery',
  }));
  const users = new UserRepository(platform.persistence);
  const admin = await users.findById(created.tenantId, created.adminUserId);
  expect(admin?.email).toBe('admin@smoke.test');
  expect(await users.findByEmail(created.tenantId, ' ADMIN@smoke.test')).toMatchObject({ id: created.adminUserId });
  await platform.auditSealer.sealPending();
  expect(await platform.auditVerifier.verifyTenant(created.tenantId)).toMatchObject({ intact: true });
});
