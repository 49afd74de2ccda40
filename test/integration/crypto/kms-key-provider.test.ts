import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { ErrorCode } from '../../../src/platform/errors';
import { HTTP_STATUS_BY_CODE } from '../../../src/platform/http/error-status';
import { Platform } from '../../../src/platform/platform';
import { provisionTenant } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';
import { failingKms, healthyKms, KEY_ID, kms, kmsKeyProvider } from '../../support/fake-kms';

let platform: Platform;
let users: UserRepository;
beforeAll(async () => {
  healthyKms();
  platform = await createTestPlatform({ keyProvider: kmsKeyProvider() });
  users = new UserRepository(platform.persistence);
});
afterAll(async () => {
  await platform.close();
  kms.restore();
});
beforeEach(healthyKms);

describe('AWS KMS key provider', () => {
  it('asks GenerateDataKey for AES_256 under the tenant encryption context', async () => {
    const tenant = await provisionTenant(platform);
    const calls = kms.commandCalls(GenerateDataKeyCommand).map((c) => c.args[0].input);
    expect(calls).toContainEqual({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: { tenant_id: tenant.tenantId } });
    expect(calls.every((input) => input.KeySpec === 'AES_256' && input.EncryptionContext?.tenant_id !== undefined)).toBe(true);
  });

  it('makes no KMS call for 10,000 reads once the key is cached', async () => {
    const tenant = await provisionTenant(platform);
    await users.findById(tenant.tenantId, tenant.adminUserId);
    kms.resetHistory();
    for (let i = 0; i < 10_000; i += 1) await platform.keys.version(tenant.tenantId, 'data', 1);
    expect(kms.calls()).toHaveLength(0);
  });

  it('makes one Decrypt call for 50 concurrent cold reads, with the tenant context', async () => {
    const tenant = await provisionTenant(platform);
    const coldPlatform = await createTestPlatform({ keyProvider: kmsKeyProvider() });
    try {
      kms.resetHistory();
      const coldUsers = new UserRepository(coldPlatform.persistence);
      const reads = await Promise.all(Array.from({ length: 50 }, () => coldPlatform.keys.version(tenant.tenantId, 'data', 1)));
      expect(new Set(reads.map((r) => r.key))).toHaveProperty('size', 1);
      const decrypts = kms.commandCalls(DecryptCommand);
      expect(decrypts).toHaveLength(1);
      expect(decrypts[0].args[0].input.EncryptionContext).toEqual({ tenant_id: tenant.tenantId });
      expect((await coldUsers.findById(tenant.tenantId, tenant.adminUserId))?.role).toBe('tenant_admin');
    } finally {
      await coldPlatform.close();
    }
  });

  it('keeps serving warm keys when KMS fails, and fails a cold key closed with KEY_SERVICE_UNAVAILABLE', async () => {
    const warm = await provisionTenant(platform);
    const cold = await provisionTenant(platform);
    await users.findById(warm.tenantId, warm.adminUserId);
    const coldPlatform = await createTestPlatform({ keyProvider: kmsKeyProvider() });
    const coldUsers = new UserRepository(coldPlatform.persistence);
    try {
      failingKms();
      expect((await users.findById(warm.tenantId, warm.adminUserId))?.id).toBe(warm.adminUserId);
      await expect(coldUsers.findById(cold.tenantId, cold.adminUserId)).rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE });
      expect(HTTP_STATUS_BY_CODE[ErrorCode.KEY_SERVICE_UNAVAILABLE]).toBe(503);
      await expect(coldUsers.create({ tenantId: cold.tenantId, email: 'x@y.test', displayName: 'Nope', role: 'member', passwordHash: null }))
        .rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE });
    } finally {
      await coldPlatform.close();
    }
  });
});
