import { createHmac, createPublicKey, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, JWK, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { SigningKey } from '../../../src/platform/auth/signing-keys';
import { asOwner } from '../../support/fixtures';
import { errorCode, HttpAnswer, TestApi, TestTenant } from '../../support/identity';

/**
 * Attacks on the access token (ES256, typ at+jwt, kid from our own key ring), each answered 401 UNAUTHENTICATED on a
 * protected route while the genuine token keeps working. Forgeries that must differ in one property only are signed
 * with our real private key, so the refusal can only be about that property.
 */

const ME = '/v1/users/me';
const ISSUER = 'urn:sealed-channels';
const AUDIENCE = 'sealed-channels-api';
const TTL_SECONDS = 900;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Header = Record<string, unknown>;
type Claims = Record<string, unknown>;

let api: TestApi;
let tenant: TestTenant;
let genuine: string;
let genuineClaims: Claims;
let ours: SigningKey;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Drops keys whose value is undefined, so an override of `undefined` removes a property. */
function without(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** The claims of a token we would mint for the tenant admin's session, with overrides (undefined removes). */
function claimsWith(overrides: Claims = {}): Claims {
  const iat = nowSeconds();
  return without({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: genuineClaims.sub,
    tid: genuineClaims.tid,
    role: genuineClaims.role,
    sid: genuineClaims.sid,
    amr: genuineClaims.amr,
    iat,
    exp: iat + TTL_SECONDS,
    jti: randomUUID(),
    ...overrides,
  });
}

/** jose's SignJWT with our real key unless told otherwise: header and claims exactly as given. */
function mint(options: { header?: Header; claims?: Claims; key?: KeyObject } = {}): Promise<string> {
  const header = without({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid, ...options.header });
  return new SignJWT(claimsWith(options.claims))
    .setProtectedHeader(header as { alg: string })
    .sign(options.key ?? ours.privateKey);
}

/** A compact JWS assembled by hand, for headers jose refuses to produce (alg none, HS256 with a PEM, unknown algs). */
function compact(header: Header, claims: Claims, signature: (input: Buffer) => Buffer): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(signature(Buffer.from(input)))}`;
}

const es256 = (key: KeyObject) => (input: Buffer): Buffer => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
const hs256 = (secret: string | Buffer) => (input: Buffer): Buffer => createHmac('sha256', secret).update(input).digest();
const unsigned = (): Buffer => Buffer.alloc(0);

const me = (token: string): Promise<HttpAnswer> => api.call('GET', ME, undefined, { token });

async function expectAccepted(token: string): Promise<void> {
  const answer = await me(token);
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: expect.objectContaining({ id: tenant.adminUserId }) });
}

/** 401 UNAUTHENTICATED with the envelope and header, and the genuine token on the same request still answers 200. */
async function expectRefused(token: string, reason: 'invalid_token' | 'session_ended' = 'invalid_token', control = genuine): Promise<void> {
  const answer = await me(token);
  expect({ status: answer.status, code: errorCode(answer), error: answer.body.error })
    .toEqual({ status: 401, code: 'UNAUTHENTICATED', error: expect.objectContaining({ details: { reason } }) });
  expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  expect((await me(control)).status).toBe(200);
}

async function publishedJwks(): Promise<{ answer: HttpAnswer; keys: JWK[] }> {
  const answer = await api.call('GET', '/.well-known/jwks.json');
  expect(answer.status).toBe(200);
  return { answer, keys: (answer.body as { keys: JWK[] }).keys };
}

function attackerKey(): { privateKey: KeyObject; publicJwk: Promise<JWK> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: exportJWK(publicKey) };
}

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.provisionTenant();
  genuine = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
  genuineClaims = decodeJwt(genuine);
  ours = await api.platform.signingKeys.signingKey();
});

afterAll(async () => {
  await api.close();
});

describe('a genuine access token', () => {
  it('carries header {alg ES256, typ at+jwt, kid} and exactly the claims we mint, and verifies against the JWKS', async () => {
    const header = decodeProtectedHeader(genuine);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid });

    const claims = decodeJwt(genuine);
    expect(Object.keys(claims).sort()).toEqual(['amr', 'aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub', 'tid']);
    expect(claims).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: tenant.adminUserId,
      tid: tenant.tenantId,
      role: 'tenant_admin',
      sid: expect.stringMatching(UUID),
      amr: ['pwd'],
      iat: expect.any(Number),
      exp: (claims.iat ?? 0) + TTL_SECONDS,
      jti: expect.stringMatching(UUID),
    });
    expect(Math.abs((claims.iat ?? 0) - nowSeconds())).toBeLessThanOrEqual(60);

    const session = await asOwner((owner) => owner.query<{ tenant_id: string; user_id: string }>(
      'SELECT tenant_id, user_id FROM auth_session WHERE id = $1', [claims.sid]));
    expect(session.rows).toEqual([{ tenant_id: tenant.tenantId, user_id: tenant.adminUserId }]);

    const { keys } = await publishedJwks();
    const verified = await jwtVerify(genuine, createLocalJWKSet({ keys }), { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' });
    expect(verified.payload.sub).toBe(tenant.adminUserId);

    await expectAccepted(genuine);
  });

  it('a token minted here with our key and the right properties is accepted (so each refusal below is about one property)', async () => {
    await expectAccepted(await mint());
    await expectAccepted(compact({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid }, claimsWith(), es256(ours.privateKey)));
  });

  it('is refused without the Bearer scheme or with no token at all', async () => {
    const bare = await api.call('GET', ME, undefined, { headers: { authorization: genuine } });
    expect({ status: bare.status, code: errorCode(bare) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    const none = await api.call('GET', ME);
    expect({ status: none.status, code: errorCode(none), error: none.body.error })
      .toEqual({ status: 401, code: 'UNAUTHENTICATED', error: expect.objectContaining({ details: { reason: 'missing_token' } }) });
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const inQuery = await api.call('GET', `${ME}?access_token=${genuine}`);
    expect({ status: inQuery.status, code: errorCode(inQuery) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    await expectAccepted(genuine);
  });
});

describe('R3: the algorithm is ES256 and nothing else', () => {
  it('refuses alg none (unsigned), in every spelling, with and without our kid', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = compact({ alg, typ: 'at+jwt', kid: ours.kid }, claimsWith(), unsigned);
      expect(token.endsWith('.')).toBe(true);
      await expectRefused(token);
      await expectRefused(token.slice(0, -1));
    }
    await expectRefused(new UnsecuredJWT(claimsWith()).encode());
    // An ES256 header with the signature stripped.
    const stripped = (await mint()).split('.').slice(0, 2).join('.');
    await expectRefused(`${stripped}.`);
    await expectRefused(stripped);
  });

  it('refuses HS256 signed with our public key as the HMAC secret (PEM, DER, JWK JSON)', async () => {
    const publicKey = createPublicKey(ours.privateKey);
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const { keys } = await publishedJwks();
    const published = keys.find((key) => key.kid === ours.kid);
    expect(published).toBeDefined();
    const jwkAsPublishedJson = JSON.stringify(published);
    const jwkJson = JSON.stringify(publicKey.export({ format: 'jwk' }));
    const secrets: (string | Buffer)[] = [pem, pem.trim(), der, jwkAsPublishedJson, jwkJson];
    for (const secret of secrets) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        await expectRefused(compact({ alg, typ: 'at+jwt', kid: ours.kid }, claimsWith(), hs256(secret)));
      }
    }
  });

  it('refuses an unknown or other algorithm in the header even over a valid ES256 signature', async () => {
    for (const alg of ['ES512', 'ES384', 'XYZ', 'es256', 'RS256', 'PS256', 'EdDSA', 'ES256K', '']) {
      await expectRefused(compact({ alg, typ: 'at+jwt', kid: ours.kid }, claimsWith(), es256(ours.privateKey)));
    }
    await expectRefused(compact({ typ: 'at+jwt', kid: ours.kid }, claimsWith(), es256(ours.privateKey)));
    await expectRefused(compact({ alg: ['ES256'], typ: 'at+jwt', kid: ours.kid }, claimsWith(), es256(ours.privateKey)));
  });

  it('refuses garbage that is not a JWS at all', async () => {
    const [header, payload, signature] = genuine.split('.');
    for (const token of ['x', 'a.b.c', `${header}.${payload}`, `${header}.${payload}.${signature}.${signature}`, `${header}..${signature}`, `${header}.${payload}.${signature}x`]) {
      await expectRefused(token);
    }
  });
});

describe('R4: issuer, audience and type are ours', () => {
  it('refuses a wrong or missing aud', async () => {
    await expectRefused(await mint({ claims: { aud: 'another-api' } }));
    await expectRefused(await mint({ claims: { aud: ['another-api'] } }));
    await expectRefused(await mint({ claims: { aud: `${AUDIENCE}-admin` } }));
    await expectRefused(await mint({ claims: { aud: undefined } }));
  });

  it('refuses a wrong or missing iss', async () => {
    await expectRefused(await mint({ claims: { iss: 'urn:attacker' } }));
    await expectRefused(await mint({ claims: { iss: `${ISSUER}:evil` } }));
    await expectRefused(await mint({ claims: { iss: undefined } }));
  });

  it('refuses a typ other than at+jwt, and no typ', async () => {
    for (const typ of ['JWT', 'jwt', 'id+jwt', 'dpop+jwt', 'AT+JWT', '']) await expectRefused(await mint({ header: { typ } }));
    await expectRefused(await mint({ header: { typ: undefined } }));
  });
});

describe('R5: the key comes from our key ring by kid, never from the token', () => {
  it('refuses hostile kids (path traversal, SQL, 10 KB, unknown uuid, not a string, missing)', async () => {
    const hostile: unknown[] = ['../../etc/passwd', '/dev/null', "' OR 1=1 --", `${ours.kid}' OR '1'='1`, 'k'.repeat(10 * 1024), randomUUID(), ours.kid.toUpperCase(), 42, { id: ours.kid }, [ours.kid]];
    for (const kid of hostile) await expectRefused(await mint({ header: { kid } }));
    await expectRefused(await mint({ header: { kid: undefined } }));
  });

  it('never fetches or trusts a key named by jku, x5u or jwk: tokens signed by an attacker key are refused', async () => {
    const attacker = attackerKey();
    const attackerJwk = { ...(await attacker.publicJwk), kid: 'attacker', alg: 'ES256', use: 'sig' };
    let fetched = 0;
    const server: Server = createServer((_request, response) => {
      fetched += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [attackerJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      for (const kid of ['attacker', ours.kid]) {
        await expectRefused(await mint({ header: { kid, jku: url }, key: attacker.privateKey }));
        await expectRefused(await mint({ header: { kid, x5u: url }, key: attacker.privateKey }));
        await expectRefused(await mint({ header: { kid, jwk: { ...attackerJwk, kid } }, key: attacker.privateKey }));
        await expectRefused(await mint({ header: { kid, jku: url, x5u: url, jwk: { ...attackerJwk, kid } }, key: attacker.privateKey }));
      }
      await expectRefused(await mint({ header: { kid: undefined, jwk: attackerJwk }, key: attacker.privateKey }));
      expect(fetched).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a token signed by an attacker key that names our real kid', async () => {
    const attacker = attackerKey();
    await expectRefused(await mint({ key: attacker.privateKey }));
    await expectRefused(compact({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid }, claimsWith(), es256(attacker.privateKey)));
  });

  it('refuses a genuine token whose claims were edited after signing', async () => {
    const [header, , signature] = genuine.split('.');
    const edited = base64url(JSON.stringify({ ...genuineClaims, role: 'compliance_officer' }));
    await expectRefused(`${header}.${edited}.${signature}`);
  });
});

describe('R6: time', () => {
  it('refuses a token expired beyond the 30 s tolerance, and accepts one expired within it', async () => {
    const now = nowSeconds();
    await expectRefused(await mint({ claims: { exp: now - 31, iat: now - 31 - TTL_SECONDS } }));
    await expectRefused(await mint({ claims: { exp: now - 3600, iat: now - 3600 - TTL_SECONDS } }));
    await expectAccepted(await mint({ claims: { exp: now - 20, iat: now - 20 - TTL_SECONDS } }));
  });

  it('refuses a token not yet valid (nbf) beyond the tolerance, and accepts one within it', async () => {
    const now = nowSeconds();
    await expectRefused(await mint({ claims: { nbf: now + 35 } }));
    await expectRefused(await mint({ claims: { nbf: now + 3600 } }));
    await expectAccepted(await mint({ claims: { nbf: now + 20 } }));
  });

  it('refuses a token issued in the future beyond the tolerance, and accepts one within it', async () => {
    const now = nowSeconds();
    await expectRefused(await mint({ claims: { iat: now + 35, exp: now + 35 + TTL_SECONDS } }));
    await expectRefused(await mint({ claims: { iat: now + 86_400, exp: now + 86_400 + TTL_SECONDS } }));
    await expectAccepted(await mint({ claims: { iat: now + 20, exp: now + 20 + TTL_SECONDS } }));
  });

  it('refuses a token that lives longer than the 900 s we mint, or lacks iat or exp', async () => {
    const now = nowSeconds();
    await expectRefused(await mint({ claims: { iat: now, exp: now + TTL_SECONDS + 1 } }));
    await expectRefused(await mint({ claims: { iat: now - 600, exp: now + 3000 } }));
    await expectRefused(await mint({ claims: { iat: now, exp: now + 365 * 86_400 } }));
    await expectRefused(await mint({ claims: { iat: undefined } }));
    await expectRefused(await mint({ claims: { exp: undefined } }));
    await expectRefused(await mint({ claims: { iat: undefined, exp: undefined } }));
    await expectRefused(await mint({ claims: { iat: String(now), exp: String(now + TTL_SECONDS) } }));
  });
});

describe('claims', () => {
  it('refuses a token missing sub, tid, sid, jti or amr', async () => {
    for (const claim of ['sub', 'tid', 'sid', 'jti', 'amr', 'role']) await expectRefused(await mint({ claims: { [claim]: undefined } }));
  });

  it('refuses a role that is not a role', async () => {
    for (const role of ['superadmin', 'TENANT_ADMIN', 'admin', '', ['tenant_admin'], { name: 'tenant_admin' }, 1]) {
      await expectRefused(await mint({ claims: { role } }));
    }
  });

  it('refuses identifiers that are not uuids and amr that is not a list of strings', async () => {
    await expectRefused(await mint({ claims: { sub: 'admin' } }));
    await expectRefused(await mint({ claims: { tid: "' OR 1=1 --" } }));
    await expectRefused(await mint({ claims: { sid: 42 } }));
    await expectRefused(await mint({ claims: { amr: 'pwd' } }));
    await expectRefused(await mint({ claims: { amr: ['pwd', 1] } }));
  });

  it('refuses a sid of a session that does not exist, or that belongs to another tenant', async () => {
    await expectRefused(await mint({ claims: { sid: randomUUID() } }), 'session_ended');
    const other = await api.provisionTenant();
    await expectRefused(await mint({ claims: { tid: other.tenantId } }), 'session_ended');
  });

  it('refuses a revoked session even though the token is still signed and unexpired', async () => {
    const { accessToken, refreshToken } = await api.session(tenant.slug, tenant.adminEmail);
    await expectAccepted(accessToken);
    const sid = String(decodeJwt(accessToken).sid);
    const logout = await api.call('POST', '/v1/auth/logout', { refreshToken });
    expect(logout.status).toBe(204);
    await asOwner((owner) => owner.query('SELECT 1 FROM auth_session WHERE id = $1 AND revoked_at IS NOT NULL', [sid]))
      .then((result) => expect(result.rowCount).toBe(1));
    await expectRefused(accessToken, 'session_ended');
  });
});

describe('JWKS and signing-key rotation', () => {
  it('publishes the signing key (public half only) with a cache header', async () => {
    const { answer, keys } = await publishedJwks();
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
    expect(String(answer.headers['content-type'])).toContain('application/json');
    const published = keys.find((key) => key.kid === ours.kid);
    expect(published).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), alg: 'ES256', use: 'sig', kid: ours.kid });
    for (const key of keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.stringMatching(UUID) });
    }
    expect(createPublicKey({ key: published as JWK & { kty: string }, format: 'jwk' }).equals(createPublicKey(ours.privateKey))).toBe(true);
  });

  it('after rotate(), new logins carry the new kid, tokens of the old kid keep working, and the JWKS lists both', async () => {
    const oldKid = ours.kid;
    const before = await api.session(tenant.slug, tenant.adminEmail);
    expect(decodeProtectedHeader(before.accessToken).kid).toBe(oldKid);

    const rotated = await api.platform.signingKeys.rotate();
    expect(rotated).toEqual({ kid: expect.stringMatching(UUID), generation: expect.any(Number) });
    expect(rotated.kid).not.toBe(oldKid);
    expect((await api.platform.signingKeys.signingKey()).kid).toBe(rotated.kid);

    const after = await api.session(tenant.slug, tenant.adminEmail);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotated.kid);
    await expectAccepted(after.accessToken);
    await expectAccepted(before.accessToken);
    await expectAccepted(genuine);

    const { keys } = await publishedJwks();
    expect(keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
    const jwks = createLocalJWKSet({ keys });
    for (const token of [before.accessToken, after.accessToken]) {
      await expect(jwtVerify(token, jwks, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' })).resolves.toBeDefined();
    }
    ours = await api.platform.signingKeys.signingKey();
    expect(ours.kid).toBe(rotated.kid);
  });

  it('a key retired longer than a token lifetime plus tolerance ago neither verifies nor is published', async () => {
    const oldToken = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
    const oldKid = String(decodeProtectedHeader(oldToken).kid);
    await api.platform.signingKeys.rotate();
    const current = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
    await expectAccepted(oldToken);

    // Pretend the key retired 16 minutes ago; the next re-read of the key ring (rotate() re-reads) drops it.
    await asOwner((owner) => owner.query("UPDATE signing_key SET retired_at = now() - interval '16 minutes' WHERE id = $1", [oldKid]));
    await api.platform.signingKeys.rotate();
    await expectRefused(oldToken, 'invalid_token', current);
    const { keys } = await publishedJwks();
    expect(keys.map((key) => key.kid)).not.toContain(oldKid);
  });
});
