import { createCipheriv, createDecipheriv, createHmac, KeyObject, randomFillSync } from 'node:crypto';

/** Where a sealed value lives; bound into the AAD so a ciphertext moved anywhere else fails to open. */
export interface SealLocation {
  tenantId: string;
  table: string;
  column: string;
  rowId: string;
}

export class SealOpenError extends Error {
  constructor(reason: string) {
    super(`sealed value did not open: ${reason}`);
  }
}

/**
 * Envelope v1: [0x01][key version: uint32 BE][IV: 12][tag: 16][ciphertext]. AES-256-GCM with a random 96-bit IV;
 * AAD = "sc1" (a column value) or "sc1-object" (an object's bytes), tenant, table, column, row and key version. The leading
 * byte lets the format change later.
 */
const ENVELOPE_V1 = 0x01;
const HEADER_BYTES = 1 + 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const IV_POOL_BYTES = IV_BYTES * 1024;
let ivPool = Buffer.alloc(0);
let ivOffset = IV_POOL_BYTES;

/** Random IVs drawn from a pooled CSPRNG buffer: one getrandom call per 1,024 seals instead of one each. */
function nextIv(): Buffer {
  if (ivOffset >= IV_POOL_BYTES) {
    ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_BYTES));
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

/**
 * What a ciphertext is: a column value or an object's bytes (an attachment in the embedded store). The kind is part
 * of the AAD, so neither opens as the other even at the same location.
 */
type SealedKind = 'field' | 'object';
const AAD_PREFIX: Record<SealedKind, string> = { field: 'sc1', object: 'sc1-object' };

function aadFor(kind: SealedKind, location: SealLocation, keyVersion: number): Buffer {
  return Buffer.from(`${AAD_PREFIX[kind]}\u0000${location.tenantId}\u0000${location.table}\u0000${location.column}\u0000${location.rowId}\u0000${keyVersion}`);
}

function sealEnvelope(kind: SealedKind, key: KeyObject, keyVersion: number, plaintext: string | Buffer, location: SealLocation): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aadFor(kind, location, keyVersion));
  const body = typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
  const final = cipher.final();
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(ENVELOPE_V1, 0);
  header.writeUInt32BE(keyVersion, 1);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body, final]);
}

function openEnvelope(kind: SealedKind, key: KeyObject, envelope: Buffer, location: SealLocation): Buffer {
  const keyVersion = sealedKeyVersion(envelope);
  const iv = envelope.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = envelope.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
  const body = envelope.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aadFor(kind, location, keyVersion)).setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SealOpenError('authentication failed (wrong tenant, table, column, row or key)');
  }
}

export function seal(key: KeyObject, keyVersion: number, plaintext: string, location: SealLocation): Buffer {
  return sealEnvelope('field', key, keyVersion, plaintext, location);
}

/** The key version an envelope was sealed under, read before fetching the key. */
export function sealedKeyVersion(envelope: Buffer): number {
  if (envelope.length < HEADER_BYTES + IV_BYTES + TAG_BYTES) throw new SealOpenError('envelope too short');
  if (envelope.readUInt8(0) !== ENVELOPE_V1) throw new SealOpenError('unknown envelope version');
  return envelope.readUInt32BE(1);
}

export function open(key: KeyObject, envelope: Buffer, location: SealLocation): string {
  return openEnvelope('field', key, envelope, location).toString('utf8');
}

/** An object's bytes (an attachment in the embedded store) in the same envelope, bound to its row. */
export function sealBytes(key: KeyObject, keyVersion: number, plaintext: Buffer, location: SealLocation): Buffer {
  return sealEnvelope('object', key, keyVersion, plaintext, location);
}

export function openBytes(key: KeyObject, envelope: Buffer, location: SealLocation): Buffer {
  return openEnvelope('object', key, envelope, location);
}

/** A keyed, deterministic token for equality lookups on a sealed value; reveals nothing without the key. */
export function blindIndex(key: KeyObject, normalizedValue: string): Buffer {
  return createHmac('sha256', key).update(normalizedValue, 'utf8').digest();
}
