import { KeyObject, timingSafeEqual } from 'node:crypto';
import { blindIndex } from '../../platform/crypto/field-cipher';
import { isUuid } from '../../platform/validation/uuid';

/**
 * Short-lived links the application signs for itself, standing in for S3's presigned URLs when objects live in the
 * embedded store. HMAC-SHA256 under the tenant's index key over a domain-separated text naming method, tenant,
 * attachment, size and expiry; the tenant id travels in the link (ids are not PHI), nothing else does.
 */
export type LinkMethod = 'PUT' | 'GET';

export interface LinkClaims {
  method: LinkMethod;
  tenantId: string;
  attachmentId: string;
  /** Upload links only: the exact body size the link admits. */
  size?: number;
  /** Unix seconds. */
  expires: number;
}

const DIGITS = /^[1-9][0-9]{0,15}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

function signedText(claims: LinkClaims): string {
  return ['sc1-attachment-link', claims.method, claims.tenantId, claims.attachmentId, claims.size ?? '', claims.expires].join('\u0000');
}

export function signLink(key: KeyObject, claims: LinkClaims): string {
  return blindIndex(key, signedText(claims)).toString('base64url');
}

export function signatureMatches(key: KeyObject, claims: LinkClaims, signature: string): boolean {
  const expected = blindIndex(key, signedText(claims));
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function linkPath(claims: LinkClaims, signature: string): string {
  const query = new URLSearchParams({ tenant: claims.tenantId, expires: String(claims.expires) });
  if (claims.size !== undefined) query.set('size', String(claims.size));
  query.set('signature', signature);
  return `/v1/attachments/${claims.attachmentId}/content?${query.toString()}`;
}

/**
 * The claims a request's path and query make, or null when they are malformed (unknown parameters included). Says
 * nothing about the signature or the expiry: see AttachmentsService.verifyLink.
 */
export function claimedLink(method: LinkMethod, attachmentId: unknown, query: unknown): { claims: LinkClaims; signature: string } | null {
  if (typeof attachmentId !== 'string' || !isUuid(attachmentId) || typeof query !== 'object' || query === null) return null;
  const { tenant, expires, size, signature, ...unknown } = query as Record<string, unknown>;
  if (Object.keys(unknown).length > 0) return null;
  if (typeof tenant !== 'string' || !isUuid(tenant)) return null;
  if (typeof expires !== 'string' || !DIGITS.test(expires)) return null;
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return null;
  if (method === 'PUT' ? typeof size !== 'string' || !DIGITS.test(size) : size !== undefined) return null;
  const claims: LinkClaims = { method, tenantId: tenant, attachmentId, expires: Number(expires), ...(typeof size === 'string' ? { size: Number(size) } : {}) };
  return { claims, signature };
}
