import { DecryptCommand, DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { KeyServiceUnavailableError } from '../errors';
import { encryptionContextFor, GeneratedDataKey, KeyProvider } from './key-provider.port';

/** Production KeyProvider: data keys generated and unwrapped by AWS KMS under one CMK, bound to the tenant. */
export class AwsKmsKeyProvider implements KeyProvider {
  readonly backend = 'aws-kms';

  constructor(private readonly client: KMSClient, private readonly keyId: string) {}

  static create(options: { keyId: string; region?: string; endpoint?: string }): AwsKmsKeyProvider {
    const client = new KMSClient({ region: options.region, endpoint: options.endpoint, maxAttempts: 3 });
    return new AwsKmsKeyProvider(client, options.keyId);
  }

  async generateDataKey(tenantId: string): Promise<GeneratedDataKey> {
    const output = await this.send(() => this.client.send(new GenerateDataKeyCommand({
      KeyId: this.keyId,
      KeySpec: 'AES_256',
      EncryptionContext: encryptionContextFor(tenantId),
    })));
    if (!output.Plaintext || !output.CiphertextBlob) throw new KeyServiceUnavailableError('KMS returned no data key');
    return { plaintext: Buffer.from(output.Plaintext), wrapped: Buffer.from(output.CiphertextBlob), keyRef: output.KeyId ?? this.keyId };
  }

  async unwrapDataKey(tenantId: string, wrapped: Buffer, keyRef: string): Promise<Buffer> {
    const output = await this.send(() => this.client.send(new DecryptCommand({
      KeyId: keyRef,
      CiphertextBlob: wrapped,
      EncryptionContext: encryptionContextFor(tenantId),
    })));
    if (!output.Plaintext) throw new KeyServiceUnavailableError('KMS returned no plaintext');
    return Buffer.from(output.Plaintext);
  }

  async ping(): Promise<void> {
    await this.send(() => this.client.send(new DescribeKeyCommand({ KeyId: this.keyId })));
  }

  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof KeyServiceUnavailableError) throw error;
      throw new KeyServiceUnavailableError(error instanceof Error ? error.name : 'KMS request failed');
    }
  }
}
