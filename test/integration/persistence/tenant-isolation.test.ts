import { UserRepository } from '../../../src/modules/identity/user.repository';
import { runInContext } from '../../../src/platform/context/request-context';
import { ErrorCode } from '../../../src/platform/errors';
import { HTTP_STATUS_BY_CODE } from '../../../src/platform/http/error-status';
import { Platform } from '../../../src/platform/platform';
import { provisionTenant, rawClient } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';

let platform: Platform;
let users: UserRepository;
beforeAll(async () => {
  platform = await createTestPlatform();
  users = new UserRepository(platform.persistence);
});
afterAll(async () => { await platform.close(); });

describe('tenant isolation', () => {
  it("never reads, updates or reveals another tenant's row by id", async () => {
    const a = await provisionTenant(platform);
    const b = await provisionTenant(platform);
    const bob = await users.create({ tenantId: b.tenantId, email: 'bob@b.test', displayName: 'Bob', role: 'member', passwordHash: null });

    expect(await users.findById(a.tenantId, bob.id)).toBeNull();
    expect(await users.findByEmail(a.tenantId, 'bob@b.test')).toBeNull();
    expect(await users.change(a.tenantId, bob.id, { displayName: 'Hijacked' })).toBeNull();
    expect((await users.findById(b.tenantId, bob.id))?.displayName).toBe('Bob');
    // the same email may exist in two tenants: the blind index is per tenant
    await expect(users.create({ tenantId: a.tenantId, email: 'bob@b.test', displayName: 'Other Bob', role: 'member', passwordHash: null })).resolves.toBeDefined();
  });

  it("refuses a request bound to tenant A that names tenant B, answering as if nothing existed", async () => {
    const a = await provisionTenant(platform);
    const b = await provisionTenant(platform);
    const context = { requestId: 'req-1', actor: { type: 'user' as const, id: a.adminUserId }, tenantId: a.tenantId };
    await runInContext(context, async () => {
      await expect(users.findById(b.tenantId, b.adminUserId)).rejects.toMatchObject({ code: ErrorCode.TENANT_SCOPE_VIOLATION });
      await expect(users.change(b.tenantId, b.adminUserId, { displayName: 'x' })).rejects.toMatchObject({ code: ErrorCode.TENANT_SCOPE_VIOLATION });
      expect(HTTP_STATUS_BY_CODE[ErrorCode.TENANT_SCOPE_VIOLATION]).toBe(404);
    });
  });

  it('lets a raw query without the tenant setting see no rows (row-level security)', async () => {
    const a = await provisionTenant(platform);
    const app = await rawClient('sealed_app');
    try {
      expect((await app.query('SELECT current_user')).rows[0].current_user).toBe('sealed_app');
      for (const table of ['tenant', 'app_user', 'tenant_key', 'audit_event', 'audit_checkpoint']) {
        expect((await app.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
      }
      await app.query('BEGIN');
      await app.query("SELECT set_config('app.tenant_id', $1, true)", [a.tenantId]);
      const { rows } = await app.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM app_user');
      expect(rows).toEqual([{ tenant_id: a.tenantId }]);
      await expect(app.query("INSERT INTO app_user (id, tenant_id, email_sealed, email_bidx, display_name_sealed, role) VALUES (gen_random_uuid(), gen_random_uuid(), '\\x00', '\\x00', '\\x00', 'member')"))
        .rejects.toThrow(/row-level security/);
      await app.query('ROLLBACK');
    } finally {
      await app.end();
    }
  });
});
