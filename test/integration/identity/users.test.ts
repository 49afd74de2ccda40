import { createHash, randomUUID } from 'node:crypto';
import { displayNameSearch } from '../../../src/modules/identity/user.table';
import { asOwner, TEST_PASSWORD } from '../../support/fixtures';
import { errorCode, HttpAnswer, sessionIdOf, TestApi, TestTenant } from '../../support/identity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_KEYS = ['createdAt', 'displayName', 'email', 'id', 'role', 'status'];
const REVOCATION_DEADLINE_MS = 5_000;

interface UserBody {
  id: string;
  email: string;
  displayName: string;
  role: string;
  status: string;
  createdAt: string;
}

interface ListBody {
  items: UserBody[];
  nextCursor: string | null;
}

let api: TestApi;
let tenant: TestTenant;
let adminToken: string;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.provisionTenant();
  adminToken = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
});
afterAll(async () => {
  await api.close();
});

function uniqueEmail(local = 'user'): string {
  return `${local}.${randomUUID().slice(0, 8)}@clinic.test`;
}

function createUser(body: Record<string, unknown>, token = adminToken): Promise<HttpAnswer> {
  return api.call('POST', '/v1/users', { email: uniqueEmail(), displayName: 'Test User', password: TEST_PASSWORD, role: 'member', ...body }, { token });
}

async function createdUser(body: Record<string, unknown>, token = adminToken): Promise<UserBody> {
  const answer = await createUser(body, token);
  expect(answer.status).toBe(201);
  return answer.body as unknown as UserBody;
}

async function list(query: string, token = adminToken): Promise<ListBody> {
  const answer = await api.call('GET', `/v1/users?${query}`, undefined, { token });
  expect(answer.status).toBe(200);
  return answer.body as unknown as ListBody;
}

async function idsFound(query: string, token = adminToken): Promise<string[]> {
  return (await list(query, token)).items.map((user) => user.id).sort();
}

/** The error envelope every failure carries, with the expected status and code. */
function expectError(answer: HttpAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: errorCode(answer) }).toEqual({ status, code });
  const error = answer.body.error as Record<string, unknown>;
  expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
  expect(typeof error.message).toBe('string');
  expect(typeof error.requestId).toBe('string');
}

/** Polls until the access token is refused (the liveness cache may hold an answer for a moment). */
async function statusOnceRevoked(accessToken: string): Promise<number> {
  const deadline = Date.now() + REVOCATION_DEADLINE_MS;
  for (;;) {
    const answer = await api.call('GET', '/v1/users/me', undefined, { token: accessToken });
    if (answer.status !== 200 || Date.now() > deadline) return answer.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('POST /v1/users', () => {
  it('creates a user: 201 with exactly { id, email, displayName, role, status, createdAt }, and the user can sign in', async () => {
    const before = Date.now();
    const email = uniqueEmail('new');
    const answer = await api.call('POST', '/v1/users', { email, displayName: 'Nora Newcomer', password: TEST_PASSWORD, role: 'compliance_officer' }, { token: adminToken });

    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body).sort()).toEqual(USER_KEYS);
    const user = answer.body as unknown as UserBody;
    expect(user.id).toMatch(UUID);
    expect(user).toMatchObject({ email, displayName: 'Nora Newcomer', role: 'compliance_officer', status: 'active' });
    const createdAt = Date.parse(user.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 5_000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 5_000);

    const { accessToken } = await api.session(tenant.slug, email);
    const me = await api.call('GET', '/v1/users/me', undefined, { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(answer.body);
  });

  it('refuses a second user with the same email, also in another letter case: 409 EMAIL_TAKEN', async () => {
    const suffix = randomUUID().slice(0, 8);
    const first = await createUser({ email: `Nurse.${suffix}@X.test` });
    expect(first.status).toBe(201);
    expect(String(first.body.email).toLowerCase()).toBe(`nurse.${suffix}@x.test`);

    for (const email of [`nurse.${suffix}@x.test`, `Nurse.${suffix}@X.test`, `NURSE.${suffix}@x.TEST`]) {
      expectError(await createUser({ email, displayName: 'Someone Else' }), 409, 'EMAIL_TAKEN');
    }
    const found = await list(`email=${encodeURIComponent(`nurse.${suffix}@x.test`)}`);
    expect(found.items.map((user) => user.id)).toEqual([first.body.id]);
    expect(found.items[0].displayName).toBe('Test User');
  });

  it.each([
    ['too short', 'short', 'too_short'],
    ['a common password', 'password1234', 'common_password'],
    ['129 characters', 'Aa1!'.repeat(32) + 'x', 'too_long'],
  ])('refuses a password that is %s: 400 WEAK_PASSWORD naming the problem, and creates nobody', async (_label, password, problem) => {
    const email = uniqueEmail('weak');
    const answer = await createUser({ email, password });
    expectError(answer, 400, 'WEAK_PASSWORD');
    expect((answer.body.error as { details: { problems: string[] } }).details.problems).toEqual([problem]);
    expect((await list(`email=${encodeURIComponent(email)}`)).items).toEqual([]);
  });

  it('accepts passwords of exactly 12 and 128 characters', async () => {
    expect((await createUser({ password: 'Tq8-vbnm.Lp2' })).status).toBe(201);
    expect((await createUser({ password: 'Zx9#'.repeat(30) + 'kW7qpl8m' })).status).toBe(201);
  });

  it('refuses a member: 403 FORBIDDEN on POST and on PATCH (of others and of themselves), changing nothing', async () => {
    const member = await api.createUser(adminToken, 'member', 'Mira Member');
    const other = await api.createUser(adminToken, 'member', 'Otto Other');
    const { accessToken } = await api.session(tenant.slug, member.email);
    const email = uniqueEmail('by-member');

    expectError(await createUser({ email }, accessToken), 403, 'FORBIDDEN');
    expectError(await api.call('PATCH', `/v1/users/${other.id}`, { displayName: 'Renamed' }, { token: accessToken }), 403, 'FORBIDDEN');
    expectError(await api.call('PATCH', `/v1/users/${other.id}`, { role: 'tenant_admin' }, { token: accessToken }), 403, 'FORBIDDEN');
    expectError(await api.call('PATCH', `/v1/users/${member.id}`, { role: 'tenant_admin' }, { token: accessToken }), 403, 'FORBIDDEN');
    expectError(await api.call('PATCH', `/v1/users/${member.id}`, { displayName: 'Self Renamed' }, { token: accessToken }), 403, 'FORBIDDEN');

    expect((await list(`email=${encodeURIComponent(email)}`)).items).toEqual([]);
    const otherNow = await api.call('GET', `/v1/users/${other.id}`, undefined, { token: adminToken });
    expect(otherNow.body).toMatchObject({ displayName: 'Otto Other', role: 'member' });
    const memberNow = await api.call('GET', '/v1/users/me', undefined, { token: accessToken });
    expect(memberNow.body).toMatchObject({ displayName: 'Mira Member', role: 'member' });
  });
});

describe('GET /v1/users?email=', () => {
  it('finds exactly one user by exact email (any letter case) and nobody for an unknown email', async () => {
    const email = uniqueEmail('exact');
    const user = await createdUser({ email, displayName: 'Exact Match' });
    await createdUser({ email: `x${email}`, displayName: 'Near Miss' });

    const found = await list(`email=${encodeURIComponent(email)}`);
    expect(found).toEqual({ items: [user], nextCursor: null });
    expect((await list(`email=${encodeURIComponent(email.toUpperCase())}`)).items.map((u) => u.id)).toEqual([user.id]);
    expect(await list(`email=${encodeURIComponent(uniqueEmail('nobody'))}`)).toEqual({ items: [], nextCursor: null });
    // a prefix of the email is not a match: the lookup is an exact blind index, not a search
    expect((await list(`email=${encodeURIComponent(email.replace('@clinic.test', '@clinic.tes'))}`)).items).toEqual([]);
  });

  it('refuses email and q together, and an email that is not one', async () => {
    expectError(await api.call('GET', '/v1/users?email=a%40b.test&q=alex', undefined, { token: adminToken }), 400, 'VALIDATION_FAILED');
    expectError(await api.call('GET', '/v1/users?email=not-an-email', undefined, { token: adminToken }), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /v1/users?q= (display-name word prefix through blind tokens)', () => {
  let searchTenant: TestTenant;
  let token: string;
  let alexandra: UserBody;
  let alex: UserBody;
  let zoe: UserBody;

  beforeAll(async () => {
    searchTenant = await api.provisionTenant();
    token = (await api.session(searchTenant.slug, searchTenant.adminEmail)).accessToken;
    alexandra = await createdUser({ displayName: 'Alexandra Morgan-Lee' }, token);
    alex = await createdUser({ displayName: 'Alex Smith' }, token);
    zoe = await createdUser({ displayName: 'Zoe Quintana' }, token);
  });

  it.each([
    ['ale', () => [alexandra.id, alex.id]],
    ['mor', () => [alexandra.id]],
    ['lee', () => [alexandra.id]],
    ['alex mor', () => [alexandra.id]],
    ['Morgan-Lee', () => [alexandra.id]],
    ['MORGAN', () => [alexandra.id]],
    ['ÀLEX', () => [alexandra.id, alex.id]],
    ['ZOË', () => [zoe.id]],
    ['zoë quin', () => [zoe.id]],
    ['xyz', () => []],
    ['andra', () => []],
    ['organ', () => []],
    ['alex xyz', () => []],
  ])('q=%s', async (q, expected) => {
    expect(await idsFound(`q=${encodeURIComponent(q)}`, token)).toEqual(expected().sort());
  });

  it('answers the full public user shape for each match', async () => {
    const found = await list(`q=${encodeURIComponent('alexandra')}`, token);
    expect(found).toEqual({ items: [alexandra], nextCursor: null });
  });

  it('refuses a query without a word of two or more letters: 400 VALIDATION_FAILED', async () => {
    for (const q of ['a', '-', '  ', 'a b']) {
      expectError(await api.call('GET', `/v1/users?q=${encodeURIComponent(q)}`, undefined, { token }), 400, 'VALIDATION_FAILED');
    }
  });

  it('finds nobody of this tenant from another tenant', async () => {
    expect(await idsFound('q=alexandra')).toEqual([]);
  });

  it('stores only 32-byte keyed hashes in app_user_display_name_token: no plaintext anywhere in the table', async () => {
    const expectedTokens = displayNameSearch.tokensOf(alexandra.displayName);
    const inspection = await asOwner(async (owner) => {
      const columns = await owner.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'app_user_display_name_token' ORDER BY column_name");
      const tokens = await owner.query<{ token: Buffer }>('SELECT token FROM app_user_display_name_token WHERE row_id = $1', [alexandra.id]);
      // every row as text, the way a dump or a backup would print it
      const dump = await owner.query<{ line: string }>('SELECT t::text AS line FROM app_user_display_name_token t');
      const indexes = await owner.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename IN ('app_user', 'app_user_display_name_token')");
      return { columns: columns.rows.map((row) => row.column_name), tokens: tokens.rows.map((row) => row.token), dump: dump.rows.map((row) => row.line).join('\n'), indexes: indexes.rows.map((row) => row.indexdef) };
    });

    expect(inspection.columns).toEqual(['row_id', 'tenant_id', 'token']);
    expect(inspection.tokens).toHaveLength(expectedTokens.length);
    expect(new Set(inspection.tokens.map((token) => token.toString('hex'))).size).toBe(expectedTokens.length);
    for (const token of inspection.tokens) {
      expect(Buffer.isBuffer(token)).toBe(true);
      expect(token).toHaveLength(32);
    }
    // not an unkeyed hash of a prefix either: the tokens are useless without the tenant's index key
    const unkeyed = new Set(expectedTokens.flatMap((prefix) => [prefix, `app_user.display_name_sealed\u0000${prefix}`])
      .map((text) => createHash('sha256').update(text, 'utf8').digest('hex')));
    expect(inspection.tokens.filter((token) => unkeyed.has(token.toString('hex')))).toEqual([]);

    expect(inspection.dump.length).toBeGreaterThan(0);
    const dump = inspection.dump.toLowerCase();
    for (const word of ['alexandra', 'morgan', 'quintana']) {
      expect(dump).not.toContain(word);
      expect(dump).not.toContain(Buffer.from(word, 'utf8').toString('hex'));
    }
    expect(inspection.indexes.join('\n')).not.toMatch(/display_name(?!_sealed|_token)/);
  });

  it('re-tokenises on rename: the new name is found, the old one no longer is', async () => {
    const user = await createdUser({ displayName: 'Benedict Oldname' }, token);
    expect(await idsFound('q=oldname', token)).toEqual([user.id]);
    const renamed = await api.call('PATCH', `/v1/users/${user.id}`, { displayName: 'Benedict Newname' }, { token });
    expect(renamed.status).toBe(200);
    expect(await idsFound('q=oldname', token)).toEqual([]);
    expect(await idsFound('q=newname', token)).toEqual([user.id]);
    expect(await idsFound('q=bene', token)).toEqual([user.id]);
  });
});

describe('GET /v1/users pagination (cursor, limit)', () => {
  let pageTenant: TestTenant;
  let token: string;
  let pagers: string[];

  beforeAll(async () => {
    pageTenant = await api.provisionTenant();
    token = (await api.session(pageTenant.slug, pageTenant.adminEmail)).accessToken;
    pagers = [];
    for (let i = 0; i < 5; i++) pagers.push((await createdUser({ displayName: `Pager Person ${i}` }, token)).id);
    pagers.sort();
  });

  async function walk(query: string): Promise<{ pages: string[][]; cursors: (string | null)[] }> {
    const pages: string[][] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const page: ListBody = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`, token);
      pages.push(page.items.map((user) => user.id));
      cursors.push(page.nextCursor);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);
    return { pages, cursors };
  }

  it('pages a name search by keyset cursor: every match once, in id order, and the last page has no cursor', async () => {
    const { pages, cursors } = await walk('q=pager&limit=2');
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(pagers);
    expect(cursors).toEqual([pages[0][1], pages[1][1], null]);
  });

  it('pages the whole directory; without a limit at most 50 come back', async () => {
    const everyone = [...pagers, pageTenant.adminUserId].sort();
    const { pages } = await walk('limit=4');
    expect(pages.map((page) => page.length)).toEqual([4, 2]);
    expect(pages.flat()).toEqual(everyone);

    const all = await list('', token);
    expect(all.items.map((user) => user.id)).toEqual(everyone);
    expect(all.nextCursor).toBeNull();
    for (const user of all.items) expect(Object.keys(user).sort()).toEqual(USER_KEYS);

    // a page that ends exactly on the last user points at an empty page, which ends the walk
    const exact = await walk('limit=3');
    expect(exact.pages.map((page) => page.length)).toEqual([3, 3, 0]);
    expect(exact.cursors[2]).toBeNull();
  });

  it('accepts limit 1 and 200 and refuses 0, 201, a fraction, text and a bad cursor: 400 VALIDATION_FAILED', async () => {
    expect((await list('limit=1', token)).items).toHaveLength(1);
    expect((await list('limit=200', token)).items).toHaveLength(6);
    for (const query of ['limit=0', 'limit=201', 'limit=-1', 'limit=2.5', 'limit=ten', 'cursor=not-a-uuid']) {
      expectError(await api.call('GET', `/v1/users?${query}`, undefined, { token }), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('GET /v1/users/:id', () => {
  it('answers the user in the public shape; an unknown id is 404 NOT_FOUND and a malformed one 400', async () => {
    const user = await createdUser({ displayName: 'Gina Getter', role: 'compliance_officer' });
    const answer = await api.call('GET', `/v1/users/${user.id}`, undefined, { token: adminToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(user);

    expectError(await api.call('GET', `/v1/users/${randomUUID()}`, undefined, { token: adminToken }), 404, 'NOT_FOUND');
    expectError(await api.call('GET', '/v1/users/not-a-uuid', undefined, { token: adminToken }), 400, 'VALIDATION_FAILED');
  });

  it('lets a member read the directory', async () => {
    const member = await api.createUser(adminToken, 'member', 'Reader Member');
    const { accessToken } = await api.session(tenant.slug, member.email);
    const answer = await api.call('GET', `/v1/users/${tenant.adminUserId}`, undefined, { token: accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: tenant.adminUserId, role: 'tenant_admin' });
  });
});

describe('PATCH /v1/users/:id', () => {
  it('changes the display name, and the change reads back', async () => {
    const user = await createdUser({ displayName: 'Paula Patchme' });
    const answer = await api.call('PATCH', `/v1/users/${user.id}`, { displayName: 'Paula Patched' }, { token: adminToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ...user, displayName: 'Paula Patched' });
    expect((await api.call('GET', `/v1/users/${user.id}`, undefined, { token: adminToken })).body).toEqual({ ...user, displayName: 'Paula Patched' });
  });

  it.each([
    ['a role change', { role: 'compliance_officer' }, { role: 'compliance_officer', status: 'active' }],
    ['disabling', { status: 'disabled' }, { role: 'member', status: 'disabled' }],
  ])("ends the user's sessions on %s: the old access token and refresh token stop working", async (_label, change, expected) => {
    const member = await api.createUser(adminToken, 'member', 'Sam Session');
    const { accessToken, refreshToken } = await api.session(tenant.slug, member.email);
    expect((await api.call('GET', '/v1/users/me', undefined, { token: accessToken })).status).toBe(200);

    const answer = await api.call('PATCH', `/v1/users/${member.id}`, change, { token: adminToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: member.id, ...expected });

    expect(await statusOnceRevoked(accessToken)).toBe(401);
    const refreshed = await api.call('POST', '/v1/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(401);
    expect(errorCode(refreshed)).toMatch(/^REFRESH_TOKEN_/);

    const login = await api.login(tenant.slug, member.email);
    if (expected.status === 'disabled') {
      expectError(login, 401, 'INVALID_CREDENTIALS');
    } else {
      expect(login.status).toBe(200);
      const me = await api.call('GET', '/v1/users/me', undefined, { token: String(login.body.accessToken) });
      expect(me.body).toMatchObject({ id: member.id, role: 'compliance_officer' });
    }
  });

  it('keeps the sessions of a user whose name changes, or whose role is set to the one they have', async () => {
    const member = await api.createUser(adminToken, 'member', 'Kim Keeper');
    const { accessToken } = await api.session(tenant.slug, member.email);
    expect((await api.call('PATCH', `/v1/users/${member.id}`, { displayName: 'Kim Kept' }, { token: adminToken })).status).toBe(200);
    expect((await api.call('PATCH', `/v1/users/${member.id}`, { role: 'member' }, { token: adminToken })).status).toBe(200);
    const me = await api.call('GET', '/v1/users/me', undefined, { token: accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ displayName: 'Kim Kept' });
  });

  it('re-enables a disabled user, who can then sign in again', async () => {
    const member = await api.createUser(adminToken, 'member', 'Rita Return');
    expect((await api.call('PATCH', `/v1/users/${member.id}`, { status: 'disabled' }, { token: adminToken })).status).toBe(200);
    expectError(await api.login(tenant.slug, member.email), 401, 'INVALID_CREDENTIALS');
    const back = await api.call('PATCH', `/v1/users/${member.id}`, { status: 'active' }, { token: adminToken });
    expect(back.body).toMatchObject({ status: 'active' });
    expect((await api.login(tenant.slug, member.email)).status).toBe(200);
  });

  it('refuses an admin changing their own role or status (403) but lets them rename themselves', async () => {
    for (const change of [{ role: 'member' }, { status: 'disabled' }, { role: 'tenant_admin' }, { displayName: 'Me', status: 'active' }]) {
      expectError(await api.call('PATCH', `/v1/users/${tenant.adminUserId}`, change, { token: adminToken }), 403, 'FORBIDDEN');
    }
    const me = await api.call('GET', '/v1/users/me', undefined, { token: adminToken });
    expect(me.body).toMatchObject({ role: 'tenant_admin', status: 'active', displayName: 'Administrator' });

    const renamed = await api.call('PATCH', `/v1/users/${tenant.adminUserId}`, { displayName: 'Chief Admin' }, { token: adminToken });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ displayName: 'Chief Admin', role: 'tenant_admin' });
    expect((await api.call('GET', '/v1/users/me', undefined, { token: adminToken })).status).toBe(200);
  });

  it('refuses an empty change (400), an unknown id (404) and invalid values (400)', async () => {
    const user = await createdUser({ displayName: 'Vera Valid' });
    expectError(await api.call('PATCH', `/v1/users/${user.id}`, {}, { token: adminToken }), 400, 'VALIDATION_FAILED');
    expectError(await api.call('PATCH', `/v1/users/${randomUUID()}`, { displayName: 'Ghost' }, { token: adminToken }), 404, 'NOT_FOUND');
    for (const change of [{ role: 'superuser' }, { status: 'deleted' }, { displayName: '' }, { displayName: 'Tab\there' }, { displayName: 'x'.repeat(201) }, { email: 'new@clinic.test' }]) {
      expectError(await api.call('PATCH', `/v1/users/${user.id}`, change, { token: adminToken }), 400, 'VALIDATION_FAILED');
    }
    expect((await api.call('GET', `/v1/users/${user.id}`, undefined, { token: adminToken })).body).toEqual(user);
  });
});

describe("another tenant's ids", () => {
  let a: TestTenant;
  let b: TestTenant;
  let aToken: string;
  let bToken: string;
  let bSessionId: string;
  let bUser: UserBody;

  beforeAll(async () => {
    [a, b] = [await api.provisionTenant(), await api.provisionTenant()];
    aToken = (await api.session(a.slug, a.adminEmail)).accessToken;
    bToken = (await api.session(b.slug, b.adminEmail)).accessToken;
    bSessionId = sessionIdOf(bToken);
    bUser = await createdUser({ displayName: 'Bianca Bystander', role: 'member' }, bToken);
  });

  async function expectTenantBUnchanged(): Promise<void> {
    const admin = await api.call('GET', `/v1/users/${b.adminUserId}`, undefined, { token: bToken });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ id: b.adminUserId, email: b.adminEmail, displayName: 'Administrator', role: 'tenant_admin', status: 'active' });
    expect((await api.call('GET', `/v1/users/${bUser.id}`, undefined, { token: bToken })).body).toEqual(bUser);
    const sessions = await api.call('GET', '/v1/auth/sessions', undefined, { token: bToken });
    expect(sessions.status).toBe(200);
    expect((sessions.body.items as { id: string; current: boolean }[]).find((s) => s.id === bSessionId)).toMatchObject({ current: true });
  }

  const cases: [string, () => Promise<HttpAnswer>, number, string | null][] = [
    ['GET /v1/users/:id (admin)', () => api.call('GET', `/v1/users/${b.adminUserId}`, undefined, { token: aToken }), 404, 'NOT_FOUND'],
    ['GET /v1/users/:id (member)', () => api.call('GET', `/v1/users/${bUser.id}`, undefined, { token: aToken }), 404, 'NOT_FOUND'],
    ['PATCH /v1/users/:id displayName', () => api.call('PATCH', `/v1/users/${b.adminUserId}`, { displayName: 'Hijacked' }, { token: aToken }), 404, 'NOT_FOUND'],
    ['PATCH /v1/users/:id role', () => api.call('PATCH', `/v1/users/${b.adminUserId}`, { role: 'member' }, { token: aToken }), 404, 'NOT_FOUND'],
    ['PATCH /v1/users/:id status', () => api.call('PATCH', `/v1/users/${bUser.id}`, { status: 'disabled' }, { token: aToken }), 404, 'NOT_FOUND'],
    ['DELETE /v1/auth/sessions/:id', () => api.call('DELETE', `/v1/auth/sessions/${bSessionId}`, undefined, { token: aToken }), 404, 'NOT_FOUND'],
    ['GET /v1/users?email= (admin)', () => api.call('GET', `/v1/users?email=${encodeURIComponent(b.adminEmail)}`, undefined, { token: aToken }), 200, null],
    ['GET /v1/users?q=', () => api.call('GET', '/v1/users?q=bianca', undefined, { token: aToken }), 200, null],
    ['GET /v1/users?cursor= (B id)', () => api.call('GET', `/v1/users?cursor=${b.adminUserId}`, undefined, { token: aToken }), 200, null],
  ];

  it.each(cases)('%s from tenant A finds nothing and changes nothing in tenant B', async (_label, call, status, code) => {
    const answer = await call();
    if (code === null) {
      expect(answer.status).toBe(status);
      const ids = (answer.body as unknown as ListBody).items.map((user) => user.id);
      expect(ids).not.toContain(b.adminUserId);
      expect(ids).not.toContain(bUser.id);
      expect(ids.every((id) => id === a.adminUserId)).toBe(true);
    } else {
      expectError(answer, status, code);
    }
    expect(JSON.stringify(answer.body)).not.toContain(b.adminEmail);
    await expectTenantBUnchanged();
  });

  it("answers an id that exists in B exactly as one that exists nowhere", async () => {
    const foreign = await api.call('GET', `/v1/users/${b.adminUserId}`, undefined, { token: aToken });
    const missing = await api.call('GET', `/v1/users/${randomUUID()}`, undefined, { token: aToken });
    const strip = (answer: HttpAnswer): unknown => ({ status: answer.status, error: { ...(answer.body.error as object), requestId: '' } });
    expect(strip(foreign)).toEqual(strip(missing));
    await expectTenantBUnchanged();
  });
});

describe('a Nest exception thrown by a controller', () => {
  it('keeps its message in the envelope: PATCH /v1/users/:id with nothing to change', async () => {
    const created = await api.createUser(adminToken);

    const answer = await api.call('PATCH', `/v1/users/${created.id}`, {}, { token: adminToken });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Nothing to change.', details: null });
  });

  it("still never repeats the router's not-found message, which echoes the URL", async () => {
    const answer = await api.call('GET', '/v1/no-such-route?email=jane@example.com', undefined, { token: adminToken });

    expect(answer.status).toBe(404);
    expect(JSON.stringify(answer.body)).not.toContain('jane@example.com');
  });
});
