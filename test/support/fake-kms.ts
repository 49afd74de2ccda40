import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsKmsKeyProvider } from '../../src/platform/crypto/aws-kms.key-provider';

/**
 * AWS KMS cannot run here, so its client is mocked, and only to check the requests the adapter sends. The mock
 * "wraps" a data key the way KMS would be expected to: the plaintext encrypted under a master key, bound to the
 * encryption context, so Decrypt with another context fails.
 */
export const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/test-cmk';
const master = randomBytes(32);
export const kms = mockClient(KMSClient);

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
export function healthyKms(): void {
  kms.reset();
  kms.on(GenerateDataKeyCommand).callsFake((input: { EncryptionContext?: Record<string, string> }) => {
    const plaintext = randomBytes(32);
    return { KeyId: KEY_ID, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(fakeWrap(plaintext, input.EncryptionContext)) };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array; EncryptionContext?: Record<string, string> }) =>
    ({ KeyId: KEY_ID, Plaintext: new Uint8Array(fakeUnwrap(input.CiphertextBlob, input.EncryptionContext)) }));
}
export function failingKms(): void {
  kms.reset();
  const outage = Object.assign(new Error('KMS endpoint unreachable'), { name: 'KMSInternalException' });
  kms.on(GenerateDataKeyCommand).rejects(outage);
  kms.on(DecryptCommand).rejects(outage);
}


export function kmsKeyProvider(): AwsKmsKeyProvider {
  return new AwsKmsKeyProvider(new KMSClient({ region: 'us-east-1' }), KEY_ID);
}
