import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import { asOwner, TEST_PASSWORD } from '../../support/fixtures';
import { displayNameSearch } from '../../../src/modules/identity/user.table';
import {
  badLimitQueries, BAD_IDS, BodyField, bodyProbes, BodyRoute, CANARY, CONTROL_STRINGS, encodeQuery, forgedAuthorizations, GENERIC_STRINGS, HUGE, Json,
  malformedBodyProbes, Method, pollution, POLLUTING_QUERIES, Probe, prototypeNames as currentPrototypeNames, randomUnicode, refusals, Rng,
  send, stringField, withControlCharacter,
} from '../../support/fuzz-kit';
import { errorCode as errorCodeOf, TestApi, TestTenant } from '../../support/identity';

/**
 * Hostile input on every identity route: every answer must be a 4xx with the error envelope, never a 5xx, never a
 * stack trace, never the value sent back. Everything is generated from one seed, so a failure replays exactly.
 */
const SEED = 0x1d3e71;
/** Strings tried on a field that refuses every string (a token, a code): a seeded sample of GENERIC_STRINGS. */
const ANY_STRING_SAMPLE = 16;
const VALID_ROLES = ['member', 'tenant_admin', 'compliance_officer'];
const VALID_STATUSES = ['active', 'disabled'];

type FieldKind = 'any' | 'email' | 'displayName' | 'newUserPassword' | 'enum' | 'logoutToken';

/** Strings this kind of field refuses (for 'any', the route refuses every string but the real secret). */
function invalidStrings(kind: FieldKind, accepted: readonly string[] = []): string[] {
  switch (kind) {
    case 'any': return [...GENERIC_STRINGS];
    case 'email': return [...GENERIC_STRINGS.filter((text) => !text.includes('@')), `${CANARY}@`, `@${CANARY}`, `a@b@${CANARY}.test`, `${'a'.repeat(250)}@x.test`, `a@${HUGE}`, `${CANARY} @x.test`];
    case 'displayName': return ['', HUGE, 'x'.repeat(201), 'ﷺ'.repeat(201), ...CONTROL_STRINGS];
    case 'newUserPassword': return ['', 'short', '\u0000', '\ud800', '🔥'.repeat(11), 'é'.repeat(11), CANARY, 'password1234', 'Aa1!'.repeat(33), HUGE];
    case 'enum': return [...GENERIC_STRINGS.filter((text) => !accepted.includes(text)), ...accepted.flatMap((value) => [value.toUpperCase(), ` ${value}`, `${value}\u0000`]), 'admin', 'superuser', 'platform_admin'];
    case 'logoutToken': return ['', HUGE, 'x'.repeat(201)];
  }
}

function randomInvalidString(rng: Rng, kind: FieldKind, accepted: readonly string[] = []): string {
  switch (kind) {
    case 'any': return `${randomUnicode(rng, 30)}${CANARY}`;
    case 'email': return `${randomUnicode(rng, 30)}${CANARY}`.replaceAll('@', '');
    case 'displayName': return withControlCharacter(rng, `${randomUnicode(rng, 30)}${CANARY}`);
    case 'newUserPassword': return randomUnicode(rng, 11, 1);
    case 'enum': {
      const text = randomUnicode(rng, 30, 1);
      return accepted.includes(text) ? `${text}!` : text;
    }
    case 'logoutToken': return `${'z'.repeat(201)}${randomUnicode(rng, 30)}`;
  }
}

/** Every field here is a string. */
function field(kind: FieldKind, required: boolean, accepted: readonly string[] = []): BodyField {
  return stringField(required, invalidStrings(kind, accepted), (rng) => randomInvalidString(rng, kind, accepted), kind === 'any' ? ANY_STRING_SAMPLE : undefined);
}

let api: TestApi;
let tenant: TestTenant;
let adminToken: string;
let adminRefreshToken: string;
let logoutAllToken: string;
let target: { id: string; email: string };
let mfaUser: { id: string; email: string; token: string };
let prototypeNames: string[];

function forgedRefreshToken(): string {
  return `${tenant.tenantId}.${'A'.repeat(43)}`;
}

function uniqueEmail(): string {
  return `fuzz-${randomUUID().slice(0, 12)}@clinic.test`;
}

const BODY_ROUTES: readonly BodyRoute[] = [
  {
    name: 'POST /v1/auth/login (wrong password)',
    method: 'POST',
    url: () => '/v1/auth/login',
    base: () => ({ tenant: tenant.slug, email: tenant.adminEmail, password: 'not the password at all 1', totp: '000000' }),
    stringSample: 8,
    fields: { tenant: field('any', true), email: field('any', true), password: field('any', true), totp: field('any', false) },
  },
  {
    name: 'POST /v1/auth/login (MFA user, right password)',
    method: 'POST',
    url: () => '/v1/auth/login',
    base: () => ({ tenant: tenant.slug, email: mfaUser.email, password: TEST_PASSWORD, totp: 'abcdef' }),
    stringSample: 16,
    fields: { totp: field('any', true) },
  },
  {
    name: 'POST /v1/auth/refresh',
    method: 'POST',
    url: () => '/v1/auth/refresh',
    base: () => ({ refreshToken: forgedRefreshToken() }),
    fields: { refreshToken: field('any', true) },
  },
  {
    name: 'POST /v1/auth/logout',
    method: 'POST',
    url: () => '/v1/auth/logout',
    base: () => ({ refreshToken: forgedRefreshToken() }),
    fields: { refreshToken: field('logoutToken', true) },
  },
  {
    name: 'POST /v1/auth/password',
    method: 'POST',
    url: () => '/v1/auth/password',
    token: () => adminToken,
    base: () => ({ currentPassword: 'definitely not it 123', newPassword: 'a brand new passphrase 77' }),
    stringSample: 10,
    fields: { currentPassword: field('any', true), newPassword: field('any', true) },
  },
  {
    name: 'POST /v1/auth/password (right current password)',
    method: 'POST',
    url: () => '/v1/auth/password',
    token: () => adminToken,
    base: () => ({ currentPassword: TEST_PASSWORD, newPassword: 'short' }),
    fields: { newPassword: field('newUserPassword', true) },
  },
  {
    name: 'POST /v1/auth/mfa/totp/confirm',
    method: 'POST',
    url: () => '/v1/auth/mfa/totp/confirm',
    token: () => adminToken,
    base: () => ({ code: 'abcdef' }),
    fields: { code: field('any', true) },
  },
  {
    name: 'DELETE /v1/auth/mfa/totp (nothing confirmed)',
    method: 'DELETE',
    url: () => '/v1/auth/mfa/totp',
    token: () => adminToken,
    base: () => ({ code: 'abcdef' }),
    fields: { code: field('any', true) },
  },
  {
    name: 'DELETE /v1/auth/mfa/totp (confirmed authenticator)',
    method: 'DELETE',
    url: () => '/v1/auth/mfa/totp',
    token: () => mfaUser.token,
    base: () => ({ code: 'abcdef' }),
    fields: { code: field('any', true) },
  },
  {
    name: 'POST /v1/users',
    method: 'POST',
    url: () => '/v1/users',
    token: () => adminToken,
    base: () => ({ email: uniqueEmail(), displayName: 'Fuzz Person', password: TEST_PASSWORD, role: 'member' }),
    fields: {
      email: field('email', true),
      displayName: field('displayName', true),
      password: field('newUserPassword', true),
      role: field('enum', true, VALID_ROLES),
    },
  },
  {
    name: 'PATCH /v1/users/:id',
    method: 'PATCH',
    url: () => `/v1/users/${target.id}`,
    token: () => adminToken,
    // the name it already has: a body accepted by mistake changes nothing visible
    base: () => ({ displayName: 'Fuzz Target' }),
    fields: {
      displayName: field('displayName', true),
      role: field('enum', false, VALID_ROLES),
      status: field('enum', false, VALID_STATUSES),
    },
  },
];

/** Routes that need a token: each must refuse every forged, tampered or malformed credential with 401. */
function authenticatedRoutes(): { method: Method; url: string; body?: Json }[] {
  return [
    { method: 'GET', url: '/v1/users/me' },
    { method: 'GET', url: '/v1/users' },
    { method: 'GET', url: `/v1/users/${target.id}` },
    { method: 'POST', url: '/v1/users', body: { email: uniqueEmail(), displayName: 'Forged Token', password: TEST_PASSWORD, role: 'tenant_admin' } },
    { method: 'PATCH', url: `/v1/users/${target.id}`, body: { role: 'tenant_admin' } },
    { method: 'POST', url: '/v1/auth/logout-all', body: {} },
    { method: 'GET', url: '/v1/auth/sessions' },
    { method: 'DELETE', url: `/v1/auth/sessions/${randomUUID()}` },
    { method: 'POST', url: '/v1/auth/password', body: { currentPassword: TEST_PASSWORD, newPassword: 'another strong passphrase 9' } },
    { method: 'POST', url: '/v1/auth/mfa/totp/enroll', body: {} },
    { method: 'POST', url: '/v1/auth/mfa/totp/confirm', body: { code: '123456' } },
    { method: 'DELETE', url: '/v1/auth/mfa/totp', body: { code: '123456' } },
  ];
}

const BAD_QUERIES: readonly string[] = [
  ...invalidStrings('email').map((value) => `email=${encodeQuery(value)}`),
  ...['', 'a', '-', ' ', '\u0000', '🔥🔥', 'x'.repeat(201), HUGE, `a ${'-'.repeat(50)}`, `\u200b${CANARY}`.slice(0, 1)].map((value) => `q=${encodeQuery(value)}`),
  ...GENERIC_STRINGS.map((value) => `cursor=${encodeQuery(value)}`),
  ...badLimitQueries(200),
  'limit=1&limit=2', 'email=a%40b.test&email=c%40d.test', 'q=ab&q=cd', `cursor=${randomUUID()}&cursor=${randomUUID()}`, 'email=a%40b.test&q=alex',
  ...POLLUTING_QUERIES, 'email[]=a%40b.test', 'limit[$gt]=1', 'q[0]=ab', 'q[]=ab', 'q=%', 'limit=%ZZ', 'q=ab&x=1',
];

/** Hostile but well-formed values: the routes may accept them, but never with a 5xx. */
const WELL_FORMED_NAMES: readonly string[] = [
  'Zoë O\'Brien-Łukasiewicz', 'ﷺ'.repeat(200), 'A\u0301'.repeat(100), 'İ'.repeat(200), 'مرحبا بالعالم', '田中 太郎', '🔥💉 Emoji Person', 'Robert\'); DROP TABLE app_user;--',
  '<img src=x onerror=alert(1)>', '${jndi:ldap://x}', '%00 null', 'x'.repeat(200), '   ', 'ǅungla ǈubljana', 'ΣΊΣΥΦΟΣ σίσυφος', 'ß straße STRASSE',
];

beforeAll(async () => {
  prototypeNames = currentPrototypeNames();
  api = await TestApi.start({ LOGIN_FREE_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000' });
  tenant = await api.provisionTenant();
  ({ accessToken: adminToken, refreshToken: adminRefreshToken } = await api.session(tenant.slug, tenant.adminEmail));
  // logout-all is fuzzed on another admin's session: a body accepted by mistake would end every session of its user
  const secondAdmin = await api.createUser(adminToken, 'tenant_admin', 'Second Admin');
  logoutAllToken = (await api.session(tenant.slug, secondAdmin.email)).accessToken;
  target = await api.createUser(adminToken, 'member', 'Fuzz Target');

  const mfa = await api.createUser(adminToken, 'member', 'Mfa Member');
  const mfaToken = (await api.session(tenant.slug, mfa.email)).accessToken;
  const enrolment = await api.call('POST', '/v1/auth/mfa/totp/enroll', undefined, { token: mfaToken });
  const confirmed = await api.call('POST', '/v1/auth/mfa/totp/confirm', { code: await generate({ secret: String(enrolment.body.secret) }) }, { token: mfaToken });
  if (confirmed.status !== 204) throw new Error(`MFA confirmation failed: ${confirmed.status}`);
  mfaUser = { ...mfa, token: mfaToken };

  // an enrolment waiting for confirmation, so that confirm reaches the code check
  const pending = await api.call('POST', '/v1/auth/mfa/totp/enroll', undefined, { token: adminToken });
  if (pending.status !== 200) throw new Error(`enrolment failed: ${pending.status}`);
});
afterAll(async () => {
  await api.close();
});

describe('identity routes under hostile input', () => {
  const rng = new Rng(SEED);

  it.each(BODY_ROUTES.map((route) => [route.name, route] as const))('%s: refuses every hostile body with a 4xx envelope', async (_name, route) => {
    const probes = bodyProbes(route, rng);
    expect(probes.length).toBeGreaterThan(80);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('POST /v1/auth/logout: a well-typed junk token is a quiet 204 with no body (logout reveals nothing)', async () => {
    // Well-typed: text of a plausible length. Malformed UTF-16 is refused earlier, with 400.
    const junk = GENERIC_STRINGS.filter((text) => text.length > 0 && text.length <= 200 && !/\p{Cs}/u.test(text));
    const quiet = junk.map((refreshToken): Probe => ({ label: 'logout junk token', method: 'POST', url: '/v1/auth/logout', body: { json: { refreshToken } } }));
    expect(await refusals(api, quiet, (status) => status === 204)).toEqual([]);
    const answer = await send(api, quiet[0]);
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 204, text: '' });
  });

  it('refuses malformed JSON on routes that take no body', async () => {
    const probes: Probe[] = [];
    for (const { method, url } of [{ method: 'POST' as const, url: '/v1/auth/mfa/totp/enroll' }, { method: 'DELETE' as const, url: `/v1/auth/sessions/${randomUUID()}` }, { method: 'POST' as const, url: '/v1/auth/logout-all' }]) {
      const token = url.endsWith('logout-all') ? logoutAllToken : adminToken;
      probes.push(...malformedBodyProbes(method, url, `Bearer ${token}`));
    }
    expect(await refusals(api, probes)).toEqual([]);
    // the session logout-all was fuzzed with is still alive: no refused request ended it
    expect((await send(api, { label: 'me', method: 'GET', url: '/v1/users/me', authorization: `Bearer ${logoutAllToken}` })).status).toBe(200);
  });

  it('refuses forged, tampered and malformed credentials on every authenticated route: 401', async () => {
    const probes: Probe[] = [];
    const authorizations = forgedAuthorizations(adminToken, adminRefreshToken);
    for (const route of authenticatedRoutes()) {
      for (const authorization of authorizations) {
        probes.push({ label: `authorization ${authorization.slice(0, 40)}`, method: route.method, url: route.url, authorization, ...(route.body === undefined ? {} : { body: { json: route.body } }) });
      }
    }
    expect(probes.length).toBeGreaterThan(200);
    expect(await refusals(api, probes, (status) => status === 401)).toEqual([]);
  });

  it('refuses malformed ids in path parameters', async () => {
    const probes: Probe[] = [];
    for (const id of BAD_IDS) {
      probes.push({ label: `GET user ${id.slice(0, 30)}`, method: 'GET', url: `/v1/users/${id}`, authorization: `Bearer ${adminToken}` });
      probes.push({ label: `PATCH user ${id.slice(0, 30)}`, method: 'PATCH', url: `/v1/users/${id}`, body: { json: { displayName: 'Param Fuzz' } }, authorization: `Bearer ${adminToken}` });
      probes.push({ label: `DELETE session ${id.slice(0, 30)}`, method: 'DELETE', url: `/v1/auth/sessions/${id}`, authorization: `Bearer ${adminToken}` });
    }
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('refuses hostile queries on GET /v1/users', async () => {
    const probes = BAD_QUERIES.map((query): Probe => ({ label: `query ${query.slice(0, 40)}`, method: 'GET', url: `/v1/users?${query}`, authorization: `Bearer ${adminToken}` }));
    expect(probes.length).toBeGreaterThan(100);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('handles hostile but well-formed values without a 5xx, storing names exactly', async () => {
    const failures: string[] = [];
    const handled = (status: number): boolean => status < 500;
    const extra = await api.createUser(adminToken, 'member', 'Handled Target');
    for (const name of WELL_FORMED_NAMES) {
      const created = await api.call('POST', '/v1/users', { email: uniqueEmail(), displayName: name, password: TEST_PASSWORD, role: 'member' }, { token: adminToken });
      if (created.status !== 201) failures.push(`create ${JSON.stringify(name.slice(0, 20))}: ${created.status}`);
      const read = await api.call('GET', `/v1/users/${String(created.body.id)}`, undefined, { token: adminToken });
      if (read.body.displayName !== name) failures.push(`create ${JSON.stringify(name.slice(0, 20))} reads back as ${JSON.stringify(String(read.body.displayName).slice(0, 20))}`);
      const patched = await api.call('PATCH', `/v1/users/${extra.id}`, { displayName: name }, { token: adminToken });
      if (patched.status !== 200 || patched.body.displayName !== name) failures.push(`patch ${JSON.stringify(name.slice(0, 20))}: ${patched.status}`);
      const search = await api.call('GET', `/v1/users?q=${encodeQuery(name.slice(0, 200))}`, undefined, { token: adminToken });
      if (search.status === 200) {
        if (!(search.body.items as { id: string }[]).some((user) => user.id === created.body.id)) failures.push(`search ${JSON.stringify(name.slice(0, 20))} misses the user`);
      } else if (search.status !== 400) {
        failures.push(`search ${JSON.stringify(name.slice(0, 20))}: ${search.status}`);
      }
    }
    const probes: Probe[] = [
      ...GENERIC_STRINGS.filter((text) => text.length <= 200).map((q): Probe => ({ label: `q ${JSON.stringify(q.slice(0, 20))}`, method: 'GET', url: `/v1/users?q=${encodeQuery(q)}`, authorization: `Bearer ${adminToken}` })),
      ...[`a+${CANARY}@b.test`, `${CANARY}@xn--80ak6aa92e.com`, 'A@B.TEST', `${'a'.repeat(64)}@${'b'.repeat(60)}.test`].map((email): Probe => ({ label: `email ${email.slice(0, 20)}`, method: 'GET', url: `/v1/users?email=${encodeQuery(email)}`, authorization: `Bearer ${adminToken}` })),
      // an undecodable escape stays as it is: a search for its letters
      { label: 'q undecodable', method: 'GET', url: '/v1/users?q=%E0%A4%A', authorization: `Bearer ${adminToken}` },
    ];
    failures.push(...(await refusals(api, probes, handled)));
    expect(failures).toEqual([]);
  });

  it('leaves everything whole afterwards: the admin signs in, nothing was half-written, no prototype was polluted', async () => {
    expect(pollution(prototypeNames)).toEqual([]);

    const login = await api.login(tenant.slug, tenant.adminEmail);
    expect(login.status).toBe(200);
    const me = await api.call('GET', '/v1/users/me', undefined, { token: String(login.body.accessToken) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: tenant.adminUserId, email: tenant.adminEmail, displayName: 'Administrator', role: 'tenant_admin', status: 'active' });
    expect((await api.call('GET', '/v1/users/me', undefined, { token: adminToken })).status).toBe(200);

    const targetNow = await api.call('GET', `/v1/users/${target.id}`, undefined, { token: adminToken });
    expect(targetNow.body).toMatchObject({ id: target.id, email: target.email, displayName: 'Fuzz Target', role: 'member', status: 'active' });
    // the MFA user still needs a code: the fuzz neither removed the authenticator nor let a bad code through
    expect(errorCodeOf(await api.login(tenant.slug, mfaUser.email))).toBe('MFA_REQUIRED');

    // every user row is whole: readable through the API (its sealed columns open) with exactly its name's tokens
    const everyone = await api.call('GET', '/v1/users?limit=200', undefined, { token: adminToken });
    expect(everyone.status).toBe(200);
    const users = everyone.body.items as { id: string; displayName: string }[];
    const stored = await asOwner(async (owner) => {
      const rows = await owner.query<{ id: string; tokens: number }>(
        `SELECT u.id, (SELECT count(*)::int FROM app_user_display_name_token t WHERE t.tenant_id = u.tenant_id AND t.row_id = u.id) AS tokens
           FROM app_user u WHERE u.tenant_id = $1 ORDER BY u.id`, [tenant.tenantId]);
      const orphans = await owner.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM app_user_display_name_token t WHERE t.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.id = t.row_id)', [tenant.tenantId]);
      return { rows: rows.rows, orphans: orphans.rows[0].n };
    });
    expect(stored.orphans).toBe(0);
    const byId = (x: { id: string }, y: { id: string }): number => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    expect([...stored.rows].sort(byId)).toEqual(users.map((user) => ({ id: user.id, tokens: displayNameSearch.tokensOf(user.displayName).length })).sort(byId));
    expect(users.length).toBeGreaterThanOrEqual(5 + WELL_FORMED_NAMES.length);
  });
});
