import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decodeProtectedHeader } from 'jose';
import { LRUCache } from 'lru-cache';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import { UnauthenticatedError } from '../errors';
import { isUuid } from '../validation/uuid';
import { ACCESS_TOKEN_TYPE, AccessTokenClaims } from './access-token';
import { Principal, Role, ROLES } from './principal';
import { SessionLiveness } from './session-liveness';
import { ACCESS_TOKEN_TTL_SECONDS, CLOCK_TOLERANCE_SECONDS, SigningKeyRing } from './signing-keys';

export const ACCESS_TOKEN_STRATEGY = 'access-token';


/** A verified principal plus the state of its session, for the access guard. */
export interface AuthenticatedCaller extends Principal {
  mfaEnrolmentPending: boolean;
}

/**
 * passport-jwt with jsonwebtoken underneath: ES256 only, `iss` and `aud` enforced, 30 s of clock tolerance.
 * The key comes only from our own key set by `kid`: `jku`, `x5u`, `jwk` and `x5c` headers are never read, so a
 * token cannot bring its own key. The header must say `typ: at+jwt` (RFC 9068), so an ID token or any other JWT
 * signed elsewhere is refused even with a valid signature.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  /**
   * Tokens passport-jwt has verified, by their exact text, until they expire: a client sends the same token for
   * 15 minutes, and re-checking its signature on every request is a seventh of an authenticated request's cost.
   * The session, and that the signing key still verifies, are checked on every request.
   */
  private readonly verified = new LRUCache<string, { claims: AccessTokenClaims; kid: string }>({ max: 50_000, ttl: (ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000 });

  constructor(private readonly keys: SigningKeyRing, config: AppConfig, private readonly liveness: SessionLiveness) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, rawToken: unknown, done: (error: Error | null, key?: string) => void) => {
        verificationKeyFor(keys, rawToken).then(
          // jsonwebtoken takes a KeyObject as it is (and skips parsing a PEM per request); the typings say string.
          (key) => done(null, key as unknown as string),
          (error: unknown) => done(error instanceof Error ? error : new Error('unusable token')),
        );
      },
      algorithms: ['ES256'],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS, maxAge: ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS },
      passReqToCallback: true,
    });
  }

  /** The caller of a token passport-jwt verified before, or null when it must be verified (again). */
  async fromVerified(rawToken: string): Promise<AuthenticatedCaller | null> {
    const known = this.verified.get(rawToken);
    if (!known) return null;
    if (known.claims.exp + CLOCK_TOLERANCE_SECONDS <= Date.now() / 1000 || !(await this.keys.verificationKey(known.kid))) {
      this.verified.delete(rawToken);
      return null;
    }
    return this.callerOf(known.claims);
  }

  async validate(request: { headers: { authorization?: string } }, payload: unknown): Promise<AuthenticatedCaller> {
    const claims = accessTokenClaims(payload);
    if (!claims) throw new UnauthenticatedError('invalid_token');
    const rawToken = bearerToken(request.headers.authorization);
    const { kid } = rawToken ? decodeProtectedHeader(rawToken) : {};
    if (rawToken && typeof kid === 'string') this.verified.set(rawToken, { claims, kid });
    return this.callerOf(claims);
  }

  private async callerOf(claims: AccessTokenClaims): Promise<AuthenticatedCaller> {
    const session = await this.liveness.check(claims.tid, claims.sid);
    if (!session.active || session.userId !== claims.sub) throw new UnauthenticatedError('session_ended');
    return {
      userId: claims.sub,
      tenantId: claims.tid,
      role: claims.role,
      sessionId: claims.sid,
      tokenId: claims.jti,
      authenticationMethods: claims.amr,
      mfaEnrolmentPending: session.mfaEnrolmentPending,
    };
  }
}

/** The token of an `Authorization: Bearer …` header, as passport-jwt's extractor reads it. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
  return match ? match[1] : null;
}

async function verificationKeyFor(keys: SigningKeyRing, rawToken: unknown): Promise<unknown> {
  if (typeof rawToken !== 'string') throw new Error('no token');
  const header = decodeProtectedHeader(rawToken);
  if (header.alg !== 'ES256' || header.typ !== ACCESS_TOKEN_TYPE || typeof header.kid !== 'string') throw new Error('unacceptable header');
  const key = await keys.verificationKey(header.kid);
  if (!key) throw new Error('unknown key');
  return key;
}

/** The claims we mint, exactly: anything else (a token minted by other software with our key) is refused. */
function accessTokenClaims(payload: unknown): AccessTokenClaims | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const claims = payload as Partial<Record<keyof AccessTokenClaims, unknown>>;
  const now = Math.floor(Date.now() / 1000);
  const valid =
    isUuid(claims.sub) && isUuid(claims.tid) && isUuid(claims.sid) && isUuid(claims.jti) &&
    typeof claims.role === 'string' && (ROLES as readonly string[]).includes(claims.role) &&
    Array.isArray(claims.amr) && claims.amr.every((method) => typeof method === 'string') &&
    typeof claims.iat === 'number' && typeof claims.exp === 'number' &&
    claims.iat <= now + CLOCK_TOLERANCE_SECONDS && claims.exp > claims.iat && claims.exp - claims.iat <= ACCESS_TOKEN_TTL_SECONDS;
  return valid ? (claims as AccessTokenClaims & { role: Role }) : null;
}
