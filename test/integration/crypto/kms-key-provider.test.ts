import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { AwsKmsKeyProvider } from '../../../src/platform/crypto/aws-kms.key-provider';
import { ErrorCode } from '../../../src/platform/http/error-codes';
import { Platform } from '../../../src/platform/platform';
import { provisionTenant } from '../../support/fixtures';
import { createTestPlatform } from '../../support/test-platform';

/**
 * AWS KMS cannot run here, so its client is mocked, and only to check the requests the adapter sends. The mock
 * "wraps" a data key the way KMS would be expected to: the plaintext encrypted under a master key, bound to the
 * encryption context, so Decrypt with another context fails.
 */
const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/test-cmk';
const master = randomBytes(32);
const kms = mockClient(KMSClient);

function fakeWrap(plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(Buffer.from(JSON.stringify(context ?? {})));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}
function fakeUnwrap(blob: Uint8Array, context: Record<string, string> | undefined): Buffer {
  const buffer = Buffer.from(blob);
  const decipher = createDecipheriv('aes-256-gcm', master, buffer.subarray(0, 12));
  decipher.setAAD(Buffer.from(JSON.stringify(context ?? {}))).setAuthTag(buffer.subarray(buffer.length - 16));
  return Buffer.concat([decipher.update(buffer.subarray(12, buffer.length - 16)), decipher.final()]);
}
function healthyKms(): void {
  kms.reset();
  kms.on(GenerateDataKeyCommand).callsFake((input: { EncryptionContext?: Record<string, string> }) => {
    const plaintext = randomBytes(32);
    return { KeyId: KEY_ID, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(fakeWrap(plaintext, input.EncryptionContext)) };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array; EncryptionContext?: Record<string, string> }) =>
    ({ KeyId: KEY_ID, Plaintext: new Uint8Array(fakeUnwrap(input.CiphertextBlob, input.EncryptionContext)) }));
}
function failingKms(): void {
  kms.reset();
  const outage = Object.assign(new Error('KMS endpoint unreachable'), { name: 'KMSInternalException' });
  kms.on(GenerateDataKeyCommand).rejects(outage);
  kms.on(DecryptCommand).rejects(outage);
}

let platform: Platform;
let users: UserRepository;
beforeAll(async () => {
  healthyKms();
  platform = await createTestPlatform({ keyProvider: new AwsKmsKeyProvider(new KMSClient({ region: 'us-east-1' }), KEY_ID) });
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
    const coldPlatform = await createTestPlatform({ keyProvider: new AwsKmsKeyProvider(new KMSClient({ region: 'us-east-1' }), KEY_ID) });
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
    const coldPlatform = await createTestPlatform({ keyProvider: new AwsKmsKeyProvider(new KMSClient({ region: 'us-east-1' }), KEY_ID) });
    const coldUsers = new UserRepository(coldPlatform.persistence);
    try {
      failingKms();
      expect((await users.findById(warm.tenantId, warm.adminUserId))?.id).toBe(warm.adminUserId);
      await expect(coldUsers.findById(cold.tenantId, cold.adminUserId)).rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE, status: 503 });
      await expect(coldUsers.create({ tenantId: cold.tenantId, email: 'x@y.test', displayName: 'Nope', role: 'member', passwordHash: null }))
        .rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE });
    } finally {
      await coldPlatform.close();
    }
  });
});
