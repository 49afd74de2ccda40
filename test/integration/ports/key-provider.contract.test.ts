import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyProvider } from '../../../src/platform/crypto/key-provider.port';
import { LocalKeyringKeyProvider } from '../../../src/platform/crypto/local-keyring.key-provider';
import { ErrorCode } from '../../../src/platform/errors';
import { HTTP_STATUS_BY_CODE } from '../../../src/platform/http/error-status';
import { failingKms, healthyKms, kms, kmsKeyProvider } from '../../support/fake-kms';

const TENANT_A = '0b6a3c3e-54f5-4d0a-9a51-2c1b7f1f0a01';
const TENANT_B = '5d0c2f7b-9e1f-4b44-8d2e-6a3f0c9b7e02';

const keyringDir = mkdtempSync(join(tmpdir(), 'sc-keyring-'));
afterAll(() => {
  rmSync(keyringDir, { recursive: true, force: true });
  kms.restore();
});
beforeEach(healthyKms);

describe.each<[string, () => KeyProvider]>([
  ['local keyring', () => new LocalKeyringKeyProvider(join(keyringDir, 'master.key'))],
  ['AWS KMS (client mocked: no KMS can run here)', kmsKeyProvider],
])('KeyProvider contract: %s', (_, create) => {
  it('generates a 256-bit data key whose wrapped form unwraps to the same key for the same tenant', async () => {
    const provider = create();
    const generated = await provider.generateDataKey(TENANT_A);
    expect(generated.plaintext).toHaveLength(32);
    expect(generated.wrapped.equals(generated.plaintext)).toBe(false);
    expect(await provider.unwrapDataKey(TENANT_A, generated.wrapped, generated.keyRef)).toEqual(generated.plaintext);
  });

  it('refuses to unwrap a data key under another tenant', async () => {
    const provider = create();
    const generated = await provider.generateDataKey(TENANT_A);
    await expect(provider.unwrapDataKey(TENANT_B, generated.wrapped, generated.keyRef)).rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE });
  });

  it('answers ping', async () => {
    await expect(create().ping()).resolves.toBeUndefined();
  });
});

describe('local keyring', () => {
  it('creates its master key 0600 once and reuses it', async () => {
    const first = new LocalKeyringKeyProvider(join(keyringDir, 'reuse.key'));
    const wrapped = await first.generateDataKey(TENANT_A);
    expect(statSync(join(keyringDir, 'reuse.key')).mode & 0o777).toBe(0o600);
    const second = new LocalKeyringKeyProvider(join(keyringDir, 'reuse.key'));
    expect(await second.unwrapDataKey(TENANT_A, wrapped.wrapped, wrapped.keyRef)).toEqual(wrapped.plaintext);
  });
});

describe('AWS KMS adapter', () => {
  it('turns a KMS failure into KEY_SERVICE_UNAVAILABLE, with no plaintext fallback', async () => {
    failingKms();
    await expect(kmsKeyProvider().generateDataKey(TENANT_A)).rejects.toMatchObject({ code: ErrorCode.KEY_SERVICE_UNAVAILABLE });
    expect(HTTP_STATUS_BY_CODE[ErrorCode.KEY_SERVICE_UNAVAILABLE]).toBe(503);
  });
});
