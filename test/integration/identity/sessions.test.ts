import { setTimeout as sleep } from 'node:timers/promises';
import { asOwner, TEST_PASSWORD } from '../../support/fixtures';
import { errorCode, HttpAnswer, sessionIdOf, TestApi, TestTenant } from '../../support/identity';

const RELAXED = { LOGIN_FREE_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000' };

function refresh(api: TestApi, refreshToken: string): Promise<HttpAnswer> {
  return api.call('POST', '/v1/auth/refresh', { refreshToken });
}

function me(api: TestApi, accessToken: string): Promise<HttpAnswer> {
  return api.call('GET', '/v1/users/me', undefined, { token: accessToken });
}

/** Polls until the token is refused; returns how long that took. */
async function msUntilRefused(api: TestApi, accessToken: string, limitMs = 6_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await me(api, accessToken)).status === 401) return Date.now() - started;
    await sleep(100);
  }
  return Number.POSITIVE_INFINITY;
}

async function refreshTokenRows(sessionId: string): Promise<{ spent_at: Date | null }[]> {
  return asOwner(async (owner) => (await owner.query('SELECT spent_at FROM refresh_token WHERE session_id = $1 ORDER BY created_at', [sessionId])).rows);
}

async function ageSpentTokens(sessionId: string, seconds: number): Promise<void> {
  await asOwner((owner) => owner.query(`UPDATE refresh_token SET spent_at = spent_at - make_interval(secs => $2) WHERE session_id = $1 AND spent_at IS NOT NULL`, [sessionId, seconds]));
}

describe('refresh-token rotation', () => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await TestApi.start(RELAXED);
    tenant = await api.provisionTenant();
  });
  afterAll(async () => { await api.close(); });

  it('rotates the refresh token on every use and keeps the session', async () => {
    const first = await api.session(tenant.slug, tenant.adminEmail);
    const rotated = await refresh(api, first.refreshToken);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 1800 });
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
    expect(sessionIdOf(String(rotated.body.accessToken))).toBe(sessionIdOf(first.accessToken));
    expect((await me(api, String(rotated.body.accessToken))).status).toBe(200);
    const stored = await asOwner(async (owner) => (await owner.query('SELECT encode(token_hash, $2) AS hash FROM refresh_token WHERE session_id = $1', [sessionIdOf(first.accessToken), 'escape'])).rows as { hash: string }[]);
    for (const row of stored) expect(row.hash).not.toContain(first.refreshToken.split('.')[1]);
  });

  it('R1: reuse of a spent token after the grace window revokes the whole family and is audited', async () => {
    const first = await api.session(tenant.slug, tenant.adminEmail);
    const sessionId = sessionIdOf(first.accessToken);
    const second = await refresh(api, first.refreshToken);
    expect(second.status).toBe(200);
    await ageSpentTokens(sessionId, 60);

    const reuse = await refresh(api, first.refreshToken);
    expect([reuse.status, errorCode(reuse)]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    const successor = await refresh(api, String(second.body.refreshToken));
    expect([successor.status, errorCode(successor)]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
    expect((await me(api, String(second.body.accessToken))).status).toBe(401);

    const audit = await asOwner(async (owner) => (await owner.query(
      `SELECT action, outcome, details FROM audit_event WHERE tenant_id = $1 AND (action = 'auth.refresh' OR action = 'auth_session.revoke')`, [tenant.tenantId])).rows as { action: string; outcome: string; details: Record<string, unknown> }[]);
    expect(audit).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'auth_session.revoke', details: expect.objectContaining({ reason: 'refresh_token_reused', ids: [sessionId] }) }),
      expect.objectContaining({ action: 'auth.refresh', outcome: 'denied', details: expect.objectContaining({ reason: 'refresh_token_reused', sessionId }) }),
    ]));
  });

  it('R2: concurrent refreshes of one token rotate exactly once and revoke nothing', async () => {
    const first = await api.session(tenant.slug, tenant.adminEmail);
    const sessionId = sessionIdOf(first.accessToken);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(api, first.refreshToken)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const successors = new Set(answers.map((answer) => answer.body.refreshToken));
    expect(successors.size).toBe(1);
    const rows = await refreshTokenRows(sessionId);
    expect(rows).toHaveLength(2);
    expect(rows.filter((row) => row.spent_at === null)).toHaveLength(1);

    const next = await refresh(api, String(answers[0].body.refreshToken));
    expect(next.status).toBe(200);
    expect((await me(api, String(next.body.accessToken))).status).toBe(200);
  });

  it('answers a duplicate inside the grace window with the same successor, and reuse after it with revocation', async () => {
    const first = await api.session(tenant.slug, tenant.adminEmail);
    const a = await refresh(api, first.refreshToken);
    const b = await refresh(api, first.refreshToken);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.refreshToken).toBe(a.body.refreshToken);
    // Once the successor has itself been spent, the old token is no duplicate any more.
    expect((await refresh(api, String(a.body.refreshToken))).status).toBe(200);
    expect(errorCode(await refresh(api, first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
  });

  it('refuses unknown, malformed and foreign-tenant refresh tokens alike', async () => {
    const { refreshToken } = await api.session(tenant.slug, tenant.adminEmail);
    const [tenantPart, secret] = refreshToken.split('.');
    const forged = [
      `${tenantPart}.${'A'.repeat(43)}`,
      `00000000-0000-0000-0000-000000000001.${secret}`,
      'not a token',
      `${tenantPart}.${secret}x`,
    ];
    for (const token of forged) {
      const answer = await refresh(api, token);
      expect([answer.status, errorCode(answer)]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
    }
    expect((await refresh(api, refreshToken)).status).toBe(200);
  });

  it('ends a session that sat idle past the tenant timeout, and one past its absolute lifetime', async () => {
    const idle = await api.session(tenant.slug, tenant.adminEmail);
    await asOwner((owner) => owner.query(`UPDATE auth_session SET last_used_at = now() - interval '31 minutes' WHERE id = $1`, [sessionIdOf(idle.accessToken)]));
    expect(errorCode(await refresh(api, idle.refreshToken))).toBe('REFRESH_TOKEN_INVALID');

    const old = await api.session(tenant.slug, tenant.adminEmail);
    await asOwner((owner) => owner.query(`UPDATE auth_session SET expires_at = now() - interval '1 second' WHERE id = $1`, [sessionIdOf(old.accessToken)]));
    expect(errorCode(await refresh(api, old.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(await msUntilRefused(api, old.accessToken)).toBeLessThanOrEqual(5_000);
  });

  it('honours a tenant idle timeout and session lifetime from its settings', async () => {
    // A tenant no login has looked up yet: tenants are remembered per process for a few seconds.
    const custom = await api.provisionTenant();
    await asOwner((owner) => owner.query(`UPDATE tenant SET settings = settings || '{"idleTimeoutMinutes": 10, "sessionLifetimeHours": 1}' WHERE id = $1`, [custom.tenantId]));
    const answer = await api.login(custom.slug, custom.adminEmail);
    expect(answer.body.refreshExpiresIn).toBe(600);
    const [session] = await asOwner(async (owner) => (await owner.query(
      `SELECT idle_timeout_seconds, extract(epoch FROM expires_at - created_at)::int AS lifetime FROM auth_session WHERE id = $1`,
      [sessionIdOf(String(answer.body.accessToken))])).rows as { idle_timeout_seconds: number; lifetime: number }[]);
    expect(session).toEqual({ idle_timeout_seconds: 600, lifetime: 3600 });
  });
});

describe('session management', () => {
  let api: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    api = await TestApi.start(RELAXED);
    tenant = await api.provisionTenant();
  });
  afterAll(async () => { await api.close(); });

  it('lists the caller\'s sessions with the current one marked, and revokes one', async () => {
    const admin = await api.session(tenant.slug, tenant.adminEmail);
    const user = await api.createUser(admin.accessToken);
    const laptop = await api.session(tenant.slug, user.email, TEST_PASSWORD, { ip: '198.51.100.1', headers: { 'user-agent': 'Laptop Browser' } });
    const phone = await api.session(tenant.slug, user.email, TEST_PASSWORD, { ip: '198.51.100.2', headers: { 'user-agent': 'Phone App' } });

    const listed = await api.call('GET', '/v1/auth/sessions', undefined, { token: laptop.accessToken });
    expect(listed.status).toBe(200);
    const items = listed.body.items as { id: string; ip: string; userAgent: string; current: boolean; createdAt: string; lastUsedAt: string }[];
    expect(items).toHaveLength(2);
    expect(items).toEqual(expect.arrayContaining([
      { id: sessionIdOf(laptop.accessToken), ip: '198.51.100.1', userAgent: 'Laptop Browser', current: true, createdAt: expect.any(String), lastUsedAt: expect.any(String) },
      { id: sessionIdOf(phone.accessToken), ip: '198.51.100.2', userAgent: 'Phone App', current: false, createdAt: expect.any(String), lastUsedAt: expect.any(String) },
    ]));
    const sealed = await asOwner(async (owner) => (await owner.query('SELECT row_to_json(auth_session)::text AS text FROM auth_session WHERE user_id = $1', [user.id])).rows as { text: string }[]);
    for (const row of sealed) expect(row.text).not.toMatch(/198\.51\.100|Laptop Browser|Phone App/);

    expect((await api.call('DELETE', `/v1/auth/sessions/${sessionIdOf(phone.accessToken)}`, undefined, { token: laptop.accessToken })).status).toBe(204);
    expect(await msUntilRefused(api, phone.accessToken)).toBeLessThanOrEqual(5_000);
    expect(errorCode(await refresh(api, phone.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect((await api.call('GET', '/v1/auth/sessions', undefined, { token: laptop.accessToken })).body.items).toHaveLength(1);

    // Another user's session, and an unknown one, do not exist for this caller.
    expect((await api.call('DELETE', `/v1/auth/sessions/${sessionIdOf(admin.accessToken)}`, undefined, { token: laptop.accessToken })).status).toBe(404);
    expect((await api.call('DELETE', '/v1/auth/sessions/6a0d3c4e-3f39-4b8e-9d0c-8f0b1f2f3a4b', undefined, { token: laptop.accessToken })).status).toBe(404);
    expect((await me(api, admin.accessToken)).status).toBe(200);
  });

  it('logs out by refresh token, idempotently', async () => {
    const session = await api.session(tenant.slug, tenant.adminEmail);
    expect((await api.call('POST', '/v1/auth/logout', { refreshToken: session.refreshToken })).status).toBe(204);
    expect((await api.call('POST', '/v1/auth/logout', { refreshToken: session.refreshToken })).status).toBe(204);
    expect((await api.call('POST', '/v1/auth/logout', { refreshToken: 'unknown' })).status).toBe(204);
    expect(errorCode(await refresh(api, session.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(await msUntilRefused(api, session.accessToken)).toBeLessThanOrEqual(5_000);
  });

  it('changes the password: wrong current refused, weak new refused, other sessions ended, this one kept', async () => {
    const admin = await api.session(tenant.slug, tenant.adminEmail);
    const user = await api.createUser(admin.accessToken);
    const here = await api.session(tenant.slug, user.email);
    const elsewhere = await api.session(tenant.slug, user.email);

    const wrong = await api.call('POST', '/v1/auth/password', { currentPassword: 'not the password', newPassword: 'violet tractor sings at noon' }, { token: here.accessToken });
    expect([wrong.status, errorCode(wrong)]).toEqual([401, 'INVALID_CREDENTIALS']);
    const weak = await api.call('POST', '/v1/auth/password', { currentPassword: TEST_PASSWORD, newPassword: 'password1234' }, { token: here.accessToken });
    expect([weak.status, errorCode(weak), weak.body.error]).toEqual([400, 'WEAK_PASSWORD', expect.objectContaining({ details: { problems: ['common_password'] } })]);

    expect((await api.call('POST', '/v1/auth/password', { currentPassword: TEST_PASSWORD, newPassword: 'violet tractor sings at noon' }, { token: here.accessToken })).status).toBe(204);
    expect(await msUntilRefused(api, elsewhere.accessToken)).toBeLessThanOrEqual(5_000);
    expect(errorCode(await refresh(api, elsewhere.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect((await me(api, here.accessToken)).status).toBe(200);
    expect((await api.login(tenant.slug, user.email)).status).toBe(401);
    expect((await api.login(tenant.slug, user.email, 'violet tractor sings at noon')).status).toBe(200);
  });
});

describe('R7: revocation reaches every API instance within 5 s', () => {
  let instanceA: TestApi;
  let instanceB: TestApi;
  let tenant: TestTenant;
  beforeAll(async () => {
    instanceA = await TestApi.start(RELAXED);
    instanceB = await TestApi.start(RELAXED);
    tenant = await instanceA.provisionTenant();
  });
  afterAll(async () => {
    await instanceA.close();
    await instanceB.close();
  });

  interface UserWithSession { id: string; email: string; accessToken: string; refreshToken: string; adminToken: string }

  async function userWithSession(): Promise<UserWithSession> {
    const admin = await instanceA.session(tenant.slug, tenant.adminEmail);
    const user = await instanceA.createUser(admin.accessToken);
    const session = await instanceA.session(tenant.slug, user.email);
    // Instance B has seen (and cached) the session as live.
    expect((await me(instanceB, session.accessToken)).status).toBe(200);
    return { ...user, ...session, adminToken: admin.accessToken };
  }

  it.each([
    ['logout-all', async (user: UserWithSession) => {
      expect((await instanceA.call('POST', '/v1/auth/logout-all', undefined, { token: user.accessToken })).status).toBe(204);
    }],
    ['password change', async (user: UserWithSession) => {
      const other = await instanceA.session(tenant.slug, user.email);
      expect((await instanceA.call('POST', '/v1/auth/password', { currentPassword: TEST_PASSWORD, newPassword: 'violet tractor sings at noon' }, { token: other.accessToken })).status).toBe(204);
    }],
    ['disabling the user', async (user: UserWithSession) => {
      expect((await instanceA.call('PATCH', `/v1/users/${user.id}`, { status: 'disabled' }, { token: user.adminToken })).status).toBe(200);
    }],
    ['a role change', async (user: UserWithSession) => {
      expect((await instanceA.call('PATCH', `/v1/users/${user.id}`, { role: 'compliance_officer' }, { token: user.adminToken })).status).toBe(200);
    }],
  ])('after %s the old access token fails on the other instance and the refresh token fails', async (_name, revoke) => {
    const user = await userWithSession();
    await revoke(user);
    expect(await msUntilRefused(instanceB, user.accessToken)).toBeLessThanOrEqual(5_000);
    expect(errorCode(await refresh(instanceB, user.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });
});
