import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyServiceUnavailableError } from '../errors';
import { encryptionContextFor, GeneratedDataKey, KeyProvider } from './key-provider.port';

const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The embedded KeyProvider: a 256-bit master key in a file created 0600 on first run. Data keys are wrapped with
 * AES-256-GCM under it, bound to the tenant by the same encryption context KMS would use. For one machine only.
 */
export class LocalKeyringKeyProvider implements KeyProvider {
  readonly backend = 'local-keyring';
  private readonly masterKey: Buffer;
  readonly keyRef: string;

  constructor(masterKeyPath: string) {
    this.masterKey = loadOrCreateMasterKey(masterKeyPath);
    this.keyRef = `local:${createHash('sha256').update(this.masterKey).digest('hex').slice(0, 16)}`;
  }

  async generateDataKey(tenantId: string): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv).setAAD(contextAad(tenantId));
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { plaintext, wrapped, keyRef: this.keyRef };
  }

  async unwrapDataKey(tenantId: string, wrapped: Buffer, keyRef: string): Promise<Buffer> {
    if (keyRef !== this.keyRef) throw new KeyServiceUnavailableError('data key was wrapped by another master key');
    try {
      const iv = wrapped.subarray(0, IV_BYTES);
      const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
      const body = wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, iv).setAAD(contextAad(tenantId)).setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new KeyServiceUnavailableError('data key did not unwrap under this tenant');
    }
  }

  async ping(): Promise<void> {
    return undefined;
  }
}

function contextAad(tenantId: string): Buffer {
  return Buffer.from(JSON.stringify(encryptionContextFor(tenantId)));
}

function loadOrCreateMasterKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(MASTER_KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`The keyring master key at ${path} is not a 256-bit key.`);
  return key;
}
