import { randomUUID } from 'node:crypto';
import { asOwner } from '../../support/fixtures';
import { errorCode, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sent } from '../../support/messaging';

let api: TestApi;
let clinic: Clinic;
let alice: Member;
let bob: Member;
let carol: Member;
let dave: Member;

beforeAll(async () => {
  api = await TestApi.start();
  clinic = await openClinic(api, 4);
  [alice, bob, carol, dave] = clinic.members;
});
afterAll(async () => {
  await api.close();
});

interface ConversationBody {
  id: string;
  type: string;
  title: string | null;
  members: { userId: string; role: string }[];
  lastSeq: number;
  createdAt: string;
}

interface SummaryBody {
  id: string;
  title: string | null;
  lastSeq: number;
  lastMessageAt: string | null;
  unreadCount: number;
}

function create(member: Member, body: Record<string, unknown>) {
  return api.call('POST', '/v1/conversations', body, { token: member.token });
}

async function summaries(member: Member, query = ''): Promise<{ items: SummaryBody[]; nextCursor: string | null }> {
  const answer = expectStatus(await api.call('GET', `/v1/conversations${query}`, undefined, { token: member.token }), 200);
  return answer.body as unknown as { items: SummaryBody[]; nextCursor: string | null };
}

describe('creating conversations', () => {
  it('a direct conversation is created once per pair: asking again, from either side, answers 200 with the same one', async () => {
    const first = await create(alice, { type: 'direct', memberIds: [bob.id] });
    expect(first.status).toBe(201);
    const body = first.body as unknown as ConversationBody;
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'lastSeq', 'members', 'title', 'type']);
    expect(body).toMatchObject({ type: 'direct', title: null, lastSeq: 0 });
    expect(body.members.map((member) => member.userId).sort()).toEqual([alice.id, bob.id].sort());

    const again = await create(alice, { type: 'direct', memberIds: [bob.id] });
    const reverse = await create(bob, { type: 'direct', memberIds: [alice.id] });
    expect([again.status, reverse.status]).toEqual([200, 200]);
    expect([again.body.id, reverse.body.id]).toEqual([body.id, body.id]);
  });

  it('two users opening the same direct pair at once get one conversation', async () => {
    const answers = await Promise.all([create(carol, { type: 'direct', memberIds: [dave.id] }), create(dave, { type: 'direct', memberIds: [carol.id] })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(answers[0].body.id).toBe(answers[1].body.id);
  });

  it('a group makes its creator the owner and the others members', async () => {
    const title = 'Bed 12 — Mr. Smith 👨‍👩‍👧 🏴󠁧󠁢󠁳󠁣󠁴󠁿';
    const answer = expectStatus(await create(alice, { type: 'group', memberIds: [bob.id, carol.id], title }), 201);
    const body = answer.body as unknown as ConversationBody;
    expect(body.title).toBe(title);
    expect(body.members).toEqual(expect.arrayContaining([
      { userId: alice.id, role: 'owner' }, { userId: bob.id, role: 'member' }, { userId: carol.id, role: 'member' },
    ]));
    expect(body.members).toHaveLength(3);
  });

  it('a member who is not an active user of the tenant is refused with 422 INVALID_MEMBER, and nothing is created', async () => {
    const other = await openClinic(api, 1);
    const disabled = await api.createUser(clinic.admin.token);
    expectStatus(await api.call('PATCH', `/v1/users/${disabled.id}`, { status: 'disabled' }, { token: clinic.admin.token }), 200);
    const before = await summaries(alice, '?limit=200');
    for (const memberId of [other.members[0].id, disabled.id, randomUUID()]) {
      const answer = await create(alice, { type: 'group', memberIds: [bob.id, memberId], title: 'x' });
      expect(answer.status).toBe(422);
      expect(errorCode(answer)).toBe('INVALID_MEMBER');
      expect(errorCode(await create(alice, { type: 'direct', memberIds: [memberId] }))).toBe('INVALID_MEMBER');
    }
    expect((await summaries(alice, '?limit=200')).items.length).toBe(before.items.length);
  });

  it('bad shapes are 400: direct with two others or a title, unknown type, no members, non-uuid ids, unknown fields', async () => {
    for (const body of [
      { type: 'direct', memberIds: [bob.id, carol.id] },
      { type: 'direct', memberIds: [bob.id], title: 'x' },
      { type: 'direct', memberIds: [alice.id] },
      { type: 'channel', memberIds: [bob.id] },
      { type: 'direct', memberIds: [] },
      { type: 'group', memberIds: ['bob'] },
      { type: 'group', memberIds: [bob.id], title: 'line\nbreak' },
      { type: 'group', memberIds: [bob.id], title: 'bidi \u202e override' },
      { type: 'group', memberIds: [bob.id], title: 'zero\u200bwidth' },
      { type: 'group', memberIds: [bob.id], extra: true },
    ]) {
      const answer = await create(alice, body);
      expect([answer.status, errorCode(answer)]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('a group of more than 300 members is refused', async () => {
    const memberIds = Array.from({ length: 300 }, () => randomUUID());
    const answer = await create(alice, { type: 'group', memberIds, title: 'too big' });
    expect(answer.status).toBe(422);
    expect(errorCode(answer)).toBe('CONVERSATION_FULL');
  });
});

describe('the conversation list', () => {
  it('is ordered by recent activity, pages with a cursor and counts exactly the unread messages from others', async () => {
    const fresh = await openClinic(api, 3);
    const [owner, reader, third] = fresh.members;
    const quiet = await openGroup(api, owner, [reader], 'quiet');
    const busy = await openGroup(api, owner, [reader, third], 'busy');
    for (let i = 0; i < 3; i += 1) await sent(api, owner, busy, `update ${i}`);
    await sent(api, third, busy, 'from third');
    await sent(api, reader, busy, 'my own message');

    const page = await summaries(reader);
    expect(page.items.map((item) => item.id)).toEqual([busy, quiet]);
    expect(page.items[0]).toMatchObject({ title: 'busy', lastSeq: 5, unreadCount: 4 });
    expect(page.items[0].lastMessageAt).not.toBeNull();
    expect(page.items[1]).toMatchObject({ title: 'quiet', lastSeq: 0, lastMessageAt: null, unreadCount: 0 });

    const first = await summaries(reader, '?limit=1');
    expect(first.items.map((item) => item.id)).toEqual([busy]);
    const second = await summaries(reader, `?limit=1&cursor=${encodeURIComponent(String(first.nextCursor))}`);
    expect(second.items.map((item) => item.id)).toEqual([quiet]);

    expectStatus(await api.call('POST', `/v1/conversations/${busy}/read`, { seq: 2 }, { token: reader.token }), 204);
    expect((await summaries(reader)).items[0].unreadCount).toBe(2);
    expectStatus(await api.call('POST', `/v1/conversations/${busy}/read`, { seq: 5 }, { token: reader.token }), 204);
    expect((await summaries(reader)).items[0].unreadCount).toBe(0);
  });

  it('a cursor that was not issued by the service is a 400', async () => {
    const answer = await api.call('GET', '/v1/conversations?cursor=bm90LWEtY3Vyc29y', undefined, { token: alice.token });
    expect([answer.status, errorCode(answer)]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('changing a group', () => {
  it('any member renames it; only the owner adds or removes others; anyone may leave; the owner cannot be removed', async () => {
    const id = await openGroup(api, alice, [bob], 'Before');
    const renamed = expectStatus(await api.call('PATCH', `/v1/conversations/${id}`, { title: 'After' }, { token: bob.token }), 200);
    expect(renamed.body.title).toBe('After');

    const refused = await api.call('POST', `/v1/conversations/${id}/members`, { userIds: [carol.id] }, { token: bob.token });
    expect([refused.status, errorCode(refused)]).toEqual([403, 'FORBIDDEN']);
    const added = expectStatus(await api.call('POST', `/v1/conversations/${id}/members`, { userIds: [carol.id, dave.id, bob.id] }, { token: alice.token }), 201);
    expect((added.body.members as unknown[]).length).toBe(4);

    expect((await api.call('DELETE', `/v1/conversations/${id}/members/${dave.id}`, undefined, { token: bob.token })).status).toBe(403);
    expectStatus(await api.call('DELETE', `/v1/conversations/${id}/members/${dave.id}`, undefined, { token: alice.token }), 204);
    expectStatus(await api.call('DELETE', `/v1/conversations/${id}/members/${carol.id}`, undefined, { token: carol.token }), 204);
    expect((await api.call('GET', `/v1/conversations/${id}`, undefined, { token: carol.token })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/conversations/${id}/members/${alice.id}`, undefined, { token: alice.token })).status).toBe(409);

    const now = expectStatus(await api.call('GET', `/v1/conversations/${id}`, undefined, { token: bob.token }), 200);
    expect((now.body.members as { userId: string }[]).map((member) => member.userId).sort()).toEqual([alice.id, bob.id].sort());
  });

  it('a direct conversation keeps its two members and has no title', async () => {
    const id = String((await create(alice, { type: 'direct', memberIds: [bob.id] })).body.id);
    for (const answer of [
      await api.call('PATCH', `/v1/conversations/${id}`, { title: 'x' }, { token: alice.token }),
      await api.call('POST', `/v1/conversations/${id}/members`, { userIds: [carol.id] }, { token: alice.token }),
      await api.call('DELETE', `/v1/conversations/${id}/members/${bob.id}`, undefined, { token: alice.token }),
    ]) {
      expect([answer.status, errorCode(answer)]).toEqual([422, 'DIRECT_CONVERSATION_FIXED']);
    }
  });
});

describe('read pointers and receipts', () => {
  it('never move backwards, cannot pass the last message, and each member sees everyone\'s', async () => {
    const id = await openGroup(api, alice, [bob, carol]);
    for (let i = 0; i < 4; i += 1) await sent(api, alice, id, `m${i}`);
    const read = (member: Member, seq: unknown) => api.call('POST', `/v1/conversations/${id}/read`, { seq }, { token: member.token });
    expectStatus(await read(bob, 3), 204);
    expectStatus(await read(bob, 1), 204);
    const beyond = await read(bob, 5);
    expect([beyond.status, errorCode(beyond)]).toEqual([422, 'INVALID_SEQ']);
    for (const bad of [-1, 1.5, '3', null]) expect((await read(bob, bad)).status).toBe(400);

    const receipts = expectStatus(await api.call('GET', `/v1/conversations/${id}/receipts`, undefined, { token: carol.token }), 200);
    expect(receipts.body.items).toEqual(expect.arrayContaining([
      { userId: alice.id, readSeq: 0 }, { userId: bob.id, readSeq: 3 }, { userId: carol.id, readSeq: 0 },
    ]));
  });

  it('concurrent read marks leave the highest seq', async () => {
    const id = await openGroup(api, alice, [bob]);
    for (let i = 0; i < 20; i += 1) await sent(api, alice, id, `m${i}`);
    const seqs = Array.from({ length: 20 }, (_, i) => 20 - i);
    await Promise.all(seqs.map((seq) => api.call('POST', `/v1/conversations/${id}/read`, { seq }, { token: bob.token })));
    const { rows } = await asOwner((db) => db.query<{ read_seq: string }>('SELECT read_seq FROM conversation_member WHERE conversation_id = $1 AND user_id = $2', [id, bob.id]));
    expect(Number(rows[0].read_seq)).toBe(20);
  });
});
