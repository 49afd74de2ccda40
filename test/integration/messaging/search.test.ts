import { asOwner } from '../../support/fixtures';
import { errorCode, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sent } from '../../support/messaging';

let api: TestApi;
let clinic: Clinic;
let foreign: Clinic;
let alice: Member;
let bob: Member;
let carol: Member;
let shared: string;
let private_: string;

beforeAll(async () => {
  api = await TestApi.start();
  clinic = await openClinic(api, 3);
  foreign = await openClinic(api, 1);
  [alice, bob, carol] = clinic.members;
  shared = await openGroup(api, alice, [bob], 'Shared');
  private_ = await openGroup(api, carol, [alice], 'Carol and Alice');
  await sent(api, alice, shared, 'Suspected Pneumonia in bed 12, start antibiotics');
  await sent(api, bob, shared, 'BP is 140/90 after the antibiotics');
  await sent(api, alice, shared, 'Discharge planned tomorrow');
  await sent(api, carol, private_, 'Pneumonia ruled out for bed 7');
  const foreignRoom = await openGroup(api, foreign.members[0], [], 'Foreign');
  await sent(api, foreign.members[0], foreignRoom, 'Pneumonia antibiotics foreign');
});
afterAll(async () => {
  await api.close();
});

async function search(member: Member, query: string): Promise<string[]> {
  const answer = expectStatus(await api.call('GET', `/v1/search/messages?${query}`, undefined, { token: member.token }), 200);
  return (answer.body.items as { body: string }[]).map((item) => item.body).sort();
}

it('finds by whole word and by word prefix of three letters or more, case-insensitively, every word required', async () => {
  expect(await search(bob, 'q=pneumonia')).toEqual(['Suspected Pneumonia in bed 12, start antibiotics']);
  expect(await search(bob, 'q=PNEU')).toEqual(['Suspected Pneumonia in bed 12, start antibiotics']);
  expect(await search(bob, 'q=antibiotics')).toHaveLength(2);
  expect(await search(bob, 'q=antibio%20bed')).toEqual(['Suspected Pneumonia in bed 12, start antibiotics']);
  expect(await search(bob, 'q=bp')).toEqual(['BP is 140/90 after the antibiotics']);
  expect(await search(bob, 'q=pn')).toEqual([]);
  expect(await search(bob, 'q=pneumonias')).toEqual([]);
  expect(await search(bob, 'q=pneumonia%20discharge')).toEqual([]);
});

it('never returns another conversation\'s or another tenant\'s messages', async () => {
  expect(await search(alice, 'q=pneumonia')).toEqual(['Pneumonia ruled out for bed 7', 'Suspected Pneumonia in bed 12, start antibiotics']);
  expect(await search(bob, 'q=ruled')).toEqual([]);
  expect(await search(carol, 'q=pneumonia')).toEqual(['Pneumonia ruled out for bed 7']);
  expect(await search(foreign.members[0], 'q=pneumonia')).toEqual(['Pneumonia antibiotics foreign']);
  expect(await search(alice, `q=pneumonia&conversationId=${private_}`)).toEqual(['Pneumonia ruled out for bed 7']);
  const outsider = await api.call('GET', `/v1/search/messages?q=pneumonia&conversationId=${private_}`, undefined, { token: bob.token });
  expect([outsider.status, errorCode(outsider)]).toEqual([404, 'NOT_FOUND']);
});

it('follows edits, deletes and membership', async () => {
  const room = await openGroup(api, alice, [bob], 'Changes');
  await sent(api, alice, room, 'hyperkalemia suspected');
  await sent(api, alice, room, 'tachycardia noted');
  expectStatus(await api.call('PATCH', `/v1/conversations/${room}/messages/1`, { body: 'hyponatremia suspected' }, { token: alice.token }), 200);
  expect(await search(bob, 'q=hyperkalemia')).toEqual([]);
  expect(await search(bob, 'q=hyponatremia')).toEqual(['hyponatremia suspected']);
  expectStatus(await api.call('DELETE', `/v1/conversations/${room}/messages/2`, undefined, { token: alice.token }), 204);
  expect(await search(bob, 'q=tachycardia')).toEqual([]);
  expectStatus(await api.call('DELETE', `/v1/conversations/${room}/members/${bob.id}`, undefined, { token: bob.token }), 204);
  expect(await search(bob, 'q=hyponatremia')).toEqual([]);
});

it('a query without a word is a 400; limit is bounded', async () => {
  for (const query of ['q=', 'q=%20%2C%20', 'q=x&limit=0', 'q=x&limit=101', 'limit=5']) {
    expect((await api.call('GET', `/v1/search/messages?${query}`, undefined, { token: bob.token })).status).toBe(400);
  }
  expect(await search(alice, 'q=bed&limit=1')).toHaveLength(1);
});

it('the index holds keyed hashes only, and a search is audited as a read of the messages it returned', async () => {
  const { rows } = await asOwner((db) => db.query<{ token: Buffer }>('SELECT unnest(body_tokens) AS token FROM message WHERE tenant_id = $1', [clinic.tenant.tenantId]));
  expect(rows.length).toBeGreaterThan(50);
  for (const row of rows) expect(row.token).toHaveLength(32);
  const answer = expectStatus(await api.call('GET', '/v1/search/messages?q=discharge', undefined, { token: bob.token }), 200);
  const ids = (answer.body.items as { id: string }[]).map((item) => item.id);
  const audit = await asOwner((db) => db.query<{ action: string; details: Record<string, unknown> }>(
    'SELECT action, details FROM audit_event WHERE request_id = $1', [String(answer.headers['x-request-id'])]));
  expect(audit.rows).toHaveLength(1);
  expect(audit.rows[0]).toMatchObject({ action: 'message.search', details: expect.objectContaining({ 'read.message.ids': ids, 'read.message.count': 1 }) });
});
