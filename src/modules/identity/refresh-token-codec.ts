import { createHash, KeyObject, randomBytes } from 'node:crypto';
import { blindIndex } from '../../platform/crypto/field-cipher';

/**
 * A refresh token is `<tenant id>.<256 random bits, base64url>`. The tenant id lets an unauthenticated refresh
 * find its tenant (row-level security needs one); the random part is the secret. Only SHA-256 of the whole
 * token is stored.
 */
const TOKEN_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(tenantId: string): string {
  return `${tenantId}.${randomBytes(32).toString('base64url')}`;
}

export function tenantOfRefreshToken(token: string): string | null {
  return TOKEN_PATTERN.exec(token)?.[1] ?? null;
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The token that replaces `token` when it is spent: a keyed function of it, so a duplicate refresh inside the grace
 * window (two tabs) is answered with the same successor without ever storing a token, and nobody without both the
 * spent token and the tenant's key can compute it.
 */
export function successorRefreshToken(token: string, tenantId: string, key: KeyObject): string {
  const secret = blindIndex(key, `refresh-token-successor\u0000${token}`);
  return `${tenantId}.${secret.toString('base64url')}`;
}
