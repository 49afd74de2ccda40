import { createCipheriv, createDecipheriv, KeyObject, randomBytes } from 'node:crypto';
import { SealLocation, SealOpenError } from '../../platform/crypto/field-cipher';

/**
 * Bytes sealed for the embedded object store, in the field cipher's envelope layout:
 * [0x01][key version: uint32 BE][IV: 12][tag: 16][ciphertext], AES-256-GCM under the tenant's data key.
 * The AAD names object, tenant, table, column, row and key version ("sc1-object" keeps it apart from field values), so
 * an object copied to another attachment's key, or another tenant's, fails to open.
 */
const ENVELOPE_V1 = 0x01;
const HEADER_BYTES = 1 + 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aadFor(location: SealLocation, keyVersion: number): Buffer {
  return Buffer.from(`sc1-object\u0000${location.tenantId}\u0000${location.table}\u0000${location.column}\u0000${location.rowId}\u0000${keyVersion}`);
}

export function sealBytes(key: KeyObject, keyVersion: number, plaintext: Buffer, location: SealLocation): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aadFor(location, keyVersion));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(ENVELOPE_V1, 0);
  header.writeUInt32BE(keyVersion, 1);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The key version an envelope was sealed under, read before fetching the key. */
export function sealedBytesKeyVersion(envelope: Buffer): number {
  if (envelope.length < HEADER_BYTES + IV_BYTES + TAG_BYTES) throw new SealOpenError('envelope too short');
  if (envelope.readUInt8(0) !== ENVELOPE_V1) throw new SealOpenError('unknown envelope version');
  return envelope.readUInt32BE(1);
}

export function openBytes(key: KeyObject, envelope: Buffer, location: SealLocation): Buffer {
  const keyVersion = sealedBytesKeyVersion(envelope);
  const iv = envelope.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = envelope.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
  const body = envelope.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aadFor(location, keyVersion)).setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SealOpenError('authentication failed (wrong tenant, attachment or key)');
  }
}
