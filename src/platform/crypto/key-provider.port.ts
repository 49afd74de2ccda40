/** A fresh data key: the plaintext stays in process memory, the wrapped form is stored. */
export interface GeneratedDataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  /** Which master key wrapped it (KMS key ARN or the local keyring's fingerprint). */
  keyRef: string;
}

/**
 * Wraps and unwraps per-tenant data keys. Production: AWS KMS (GenerateDataKey / Decrypt with the tenant id as
 * encryption context). Embedded default: a local keyring file. Failures throw KeyServiceUnavailableError.
 */
export interface KeyProvider {
  readonly backend: 'aws-kms' | 'local-keyring';
  generateDataKey(tenantId: string): Promise<GeneratedDataKey>;
  unwrapDataKey(tenantId: string, wrapped: Buffer, keyRef: string): Promise<Buffer>;
  ping(): Promise<void>;
}

export function encryptionContextFor(tenantId: string): Record<string, string> {
  return { tenant_id: tenantId };
}
