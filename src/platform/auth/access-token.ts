import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { Role } from './principal';
import { ACCESS_TOKEN_TTL_SECONDS, SigningKeyRing } from './signing-keys';

/** RFC 9068: the header type of a JWT access token; verification refuses any other. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenAudience {
  issuer: string;
  audience: string;
}

export interface AccessTokenSubject {
  userId: string;
  tenantId: string;
  role: Role;
  sessionId: string;
  authenticationMethods: string[];
}

/** The claims we sign, and the only ones verification trusts. */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  tid: string;
  role: Role;
  sid: string;
  amr: string[];
  iat: number;
  exp: number;
  jti: string;
}

export class AccessTokenIssuer {
  constructor(private readonly keys: SigningKeyRing, private readonly audience: AccessTokenAudience) {}

  async issue(subject: AccessTokenSubject): Promise<string> {
    const { kid, privateKey } = await this.keys.signingKey();
    const issuedAt = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid: subject.tenantId, role: subject.role, sid: subject.sessionId, amr: subject.authenticationMethods })
      .setProtectedHeader({ alg: 'ES256', typ: ACCESS_TOKEN_TYPE, kid })
      .setIssuer(this.audience.issuer)
      .setAudience(this.audience.audience)
      .setSubject(subject.userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(privateKey);
  }
}
