import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import argon2 from 'argon2';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import { PASSWORD_HASH_OPTIONS } from '../../../src/modules/identity/password-hasher';
import { asOwner, TEST_PASSWORD } from '../../support/fixtures';
import { errorCode, HttpAnswer, TestApi, TestTenant } from '../../support/identity';

const STRICT = { LOGIN_FREE_FAILURES: '5', LOGIN_MAX_FAILURES_PER_IP: '100' };
const RELAXED = { LOGIN_FREE_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000' };

/** Everything a client can tell apart, except the request id (which differs by design). */
function comparable(answer: HttpAnswer): unknown {
  const error = answer.body.error as Record<string, unknown>;
  return { status: answer.status, code: error.code, message: error.message, details: error.details };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function auditRowsOf(tenantId: string): Promise<{ action: string; outcome: string; actor_type: string; actor_id: string | null; details: Record<string, unknown>; text: string }[]> {
  return asOwner(async (owner) => (await owner.query(
    `SELECT action, outcome, actor_type, actor_id, details, row_to_json(audit_event)::text AS text FROM audit_event WHERE tenant_id = $1 ORDER BY occurred_at`,
    [tenantId],
  )).rows);
}

describe('login: one answer for every refusal', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let disabledEmail: string;

  beforeAll(async () => {
    api = await TestApi.start(RELAXED);
    tenant = await api.provisionTenant();
    const admin = await api.session(tenant.slug, tenant.adminEmail);
    const disabled = await api.createUser(admin.accessToken);
    disabledEmail = disabled.email;
    expect((await api.call('PATCH', `/v1/users/${disabled.id}`, { status: 'disabled' }, { token: admin.accessToken })).status).toBe(200);
  });
  afterAll(async () => { await api.close(); });

  it('answers a good login with the token pair', async () => {
    const answer = await api.login(tenant.slug, tenant.adminEmail);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 1800,
    });
    expect(String(answer.body.refreshToken).split('.')[1]).toHaveLength(43);
    expect(decodeJwt(String(answer.body.accessToken))).toMatchObject({ sub: tenant.adminUserId, tid: tenant.tenantId, role: 'tenant_admin', amr: ['pwd'] });
  });

  it('logs in a client that sends no User-Agent (the session stores none)', async () => {
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    const body = JSON.stringify({ tenant: tenant.slug, email: tenant.adminEmail, password: TEST_PASSWORD });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(200);
  });

  it('answers unknown tenant, unknown user, wrong password and disabled user alike (R8: status and body)', async () => {
    const answers = [
      await api.login('no-such-tenant', tenant.adminEmail),
      await api.login(tenant.slug, 'nobody@clinic.test'),
      await api.login(tenant.slug, tenant.adminEmail, 'wrong password entirely'),
      await api.login(tenant.slug, disabledEmail),
    ];
    for (const answer of answers) expect(comparable(answer)).toEqual(comparable(answers[0]));
    expect(answers[0].status).toBe(401);
    expect(errorCode(answers[0])).toBe('INVALID_CREDENTIALS');
  });

  it('takes the same time for unknown user, unknown tenant, disabled user and wrong password (R8: within 20 %)', async () => {
    const variants: Record<string, () => Promise<HttpAnswer>> = {
      wrongPassword: () => api.login(tenant.slug, tenant.adminEmail, 'wrong password entirely'),
      unknownUser: () => api.login(tenant.slug, 'nobody@clinic.test'),
      unknownTenant: () => api.login('no-such-tenant', tenant.adminEmail),
      disabledUser: () => api.login(tenant.slug, disabledEmail),
    };
    // Each round times every variant back to back and compares it with that round's wrong-password time, so
    // load from other test workers (which comes and goes) cancels out; the order rotates so that no variant always
    // runs first or last; the median of 21 rounds is judged.
    const ratios: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    const entries = Object.entries(variants);
    for (let round = 0; round < 21; round++) {
      const times: Record<string, number> = {};
      for (const [name, attempt] of [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)]) {
        const started = performance.now();
        expect((await attempt()).status).toBe(401);
        times[name] = performance.now() - started;
      }
      for (const name of Object.keys(variants)) ratios[name].push(times[name] / times.wrongPassword);
    }
    for (const name of Object.keys(variants)) {
      expect(Math.abs(median(ratios[name]) - 1)).toBeLessThan(0.2);
    }
  });

  it('audits refused logins with ids and reasons, never the email (R23)', async () => {
    await api.login(tenant.slug, 'ghost-user@clinic.test');
    await api.login(tenant.slug, tenant.adminEmail, 'wrong password entirely');
    const rows = await auditRowsOf(tenant.tenantId);
    const logins = rows.filter((row) => row.action === 'auth.login' && row.outcome === 'denied');
    const unknown = logins.find((row) => row.details.reason === 'unknown_user');
    const wrong = logins.find((row) => row.details.reason === 'wrong_password');
    expect(unknown?.actor_id).toMatch(/^principal:[0-9a-f]{32}$/);
    expect(wrong?.actor_id).toBe(tenant.adminUserId);
    for (const row of rows) {
      expect(row.text).not.toContain('ghost-user');
      expect(row.text).not.toContain(tenant.adminEmail);
      expect(row.text).not.toContain('wrong password');
    }
    const platformRows = await auditRowsOf('00000000-0000-0000-0000-000000000000');
    expect(platformRows.some((row) => row.action === 'auth.login' && row.details.reason === 'unknown_tenant')).toBe(true);
    for (const row of platformRows) expect(row.text).not.toContain(tenant.adminEmail);
  });

  it('hashes with argon2id m=19456 t=2 p=1 and rehashes weaker stored hashes at login (R10)', async () => {
    const stored = async (): Promise<string> => asOwner(async (owner) =>
      (await owner.query<{ password_hash: string }>('SELECT password_hash FROM app_user WHERE id = $1', [tenant.adminUserId])).rows[0].password_hash);
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const weak = await argon2.hash(TEST_PASSWORD, { ...PASSWORD_HASH_OPTIONS, memoryCost: 4096, timeCost: 1 });
    await asOwner((owner) => owner.query('UPDATE app_user SET password_hash = $2 WHERE id = $1', [tenant.adminUserId, weak]));
    expect((await api.login(tenant.slug, tenant.adminEmail)).status).toBe(200);
    const rehashed = await stored();
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await argon2.verify(rehashed, TEST_PASSWORD)).toBe(true);
  });
});

describe('login throttling (R9)', () => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await TestApi.start(STRICT);
    tenant = await api.provisionTenant();
  });
  afterAll(async () => { await api.close(); });

  it('slows a burst of failed logins with 429 and Retry-After, while the real user logs in from another IP', async () => {
    const attacker = { ip: '203.0.113.7' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api.login(tenant.slug, tenant.adminEmail, `guess number ${i} wrong`, attacker)).status);
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const limited = await api.login(tenant.slug, tenant.adminEmail, 'one more wrong guess', attacker);
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Even the right password is refused from the attacker's address while the delay runs.
    expect((await api.login(tenant.slug, tenant.adminEmail, TEST_PASSWORD, attacker)).status).toBe(429);

    expect((await api.login(tenant.slug, tenant.adminEmail, TEST_PASSWORD, { ip: '198.51.100.20' })).status).toBe(200);
  });

  it('lets one attempt of a parallel burst through at a time', async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      api.login(tenant.slug, `parallel-${i % 2}@clinic.test`, 'wrong password entirely', { ip: '203.0.113.99' })));
    const statuses = burst.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(8);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  });
});

describe('TOTP multi-factor authentication', () => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await TestApi.start(RELAXED);
    tenant = await api.provisionTenant();
  });
  afterAll(async () => { await api.close(); });

  it('enrols, confirms, then requires a code at login that is accepted once', async () => {
    const admin = await api.session(tenant.slug, tenant.adminEmail);
    const user = await api.createUser(admin.accessToken);
    const { accessToken } = await api.session(tenant.slug, user.email);

    const enrolment = await api.call('POST', '/v1/auth/mfa/totp/enroll', undefined, { token: accessToken });
    expect(enrolment.status).toBe(200);
    const secret = String(enrolment.body.secret);
    expect(String(enrolment.body.otpauthUrl)).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const stored = await asOwner(async (owner) => (await owner.query('SELECT row_to_json(user_totp)::text AS text FROM user_totp WHERE id = $1', [user.id])).rows[0] as { text: string });
    expect(stored.text).not.toContain(secret);

    const now = Math.floor(Date.now() / 1000);
    // Within a session a wrong code is a 400: a 401 would read as an expired access token (login answers 401 below).
    const wrongConfirmation = await api.call('POST', '/v1/auth/mfa/totp/confirm', { code: '000000' }, { token: accessToken });
    expect([wrongConfirmation.status, errorCode(wrongConfirmation)]).toEqual([400, 'MFA_INVALID']);
    expect((await api.call('POST', '/v1/auth/mfa/totp/confirm', { code: await generate({ secret, epoch: now }) }, { token: accessToken })).status).toBe(204);

    const noCode = await api.login(tenant.slug, user.email);
    expect([noCode.status, errorCode(noCode)]).toEqual([401, 'MFA_REQUIRED']);
    const validCodes = await Promise.all([-30, 0, 30, 60].map((offset) => generate({ secret, epoch: now + offset })));
    const wrongCode = await api.login(tenant.slug, user.email, TEST_PASSWORD, { totp: ['123456', '654321', '111111'].find((code) => !validCodes.includes(code)) });
    expect([wrongCode.status, errorCode(wrongCode)]).toEqual([401, 'MFA_INVALID']);
    const reused = await api.login(tenant.slug, user.email, TEST_PASSWORD, { totp: await generate({ secret, epoch: now }) });
    expect([reused.status, errorCode(reused)]).toEqual([401, 'MFA_INVALID']);

    const nextCode = await generate({ secret, epoch: now + 30 });
    const good = await api.login(tenant.slug, user.email, TEST_PASSWORD, { totp: nextCode });
    expect(good.status).toBe(200);
    expect(decodeJwt(String(good.body.accessToken)).amr).toEqual(['pwd', 'otp']);
    expect(errorCode(await api.login(tenant.slug, user.email, TEST_PASSWORD, { totp: nextCode }))).toBe('MFA_INVALID');

    const audited = (await auditRowsOf(tenant.tenantId)).map((row) => row.action);
    expect(audited).toEqual(expect.arrayContaining(['auth.mfa.enroll', 'auth.mfa.confirm', 'user_totp.confirm']));
  });

  it('makes tenant admins enrol when the tenant requires MFA: only enrolment routes answer until then', async () => {
    // A tenant no login has looked up yet: tenants are remembered per process for a few seconds.
    const strict = await api.provisionTenant();
    await asOwner((owner) => owner.query(`UPDATE tenant SET settings = settings || '{"mfaRequired": true}' WHERE id = $1`, [strict.tenantId]));
    const { accessToken } = await api.session(strict.slug, strict.adminEmail);
    const refused = await api.call('GET', '/v1/users', undefined, { token: accessToken });
    expect([refused.status, errorCode(refused)]).toEqual([403, 'MFA_ENROLMENT_REQUIRED']);
    expect((await api.call('GET', '/v1/users/me', undefined, { token: accessToken })).status).toBe(200);

    const enrolment = await api.call('POST', '/v1/auth/mfa/totp/enroll', undefined, { token: accessToken });
    const code = await generate({ secret: String(enrolment.body.secret) });
    expect((await api.call('POST', '/v1/auth/mfa/totp/confirm', { code }, { token: accessToken })).status).toBe(204);
    expect((await api.call('GET', '/v1/users', undefined, { token: accessToken })).status).toBe(200);

    const removal = await api.call('DELETE', '/v1/auth/mfa/totp', { code }, { token: accessToken });
    expect([removal.status, errorCode(removal)]).toEqual([403, 'FORBIDDEN']);
  });
});
