import { randomUUID } from 'node:crypto';
import { asOwner } from '../../support/fixtures';
import { errorCode, HttpAnswer, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sendMessage, sent } from '../../support/messaging';

let api: TestApi;
let clinic: Clinic;
let alice: Member;
let bob: Member;
let carol: Member;

beforeAll(async () => {
  api = await TestApi.start();
  clinic = await openClinic(api, 3);
  [alice, bob, carol] = clinic.members;
});
afterAll(async () => {
  await api.close();
});

interface MessageBody {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string | null;
  replyToSeq: number | null;
  attachments: unknown[];
  reactions: Record<string, { count: number; mine: boolean }>;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

const MESSAGE_KEYS = ['attachments', 'body', 'conversationId', 'createdAt', 'deletedAt', 'editedAt', 'id', 'reactions', 'replyToSeq', 'senderId', 'seq'];

function messageOf(answer: HttpAnswer): MessageBody {
  return answer.body as unknown as MessageBody;
}

async function page(member: Member, conversationId: string, query = ''): Promise<{ items: MessageBody[]; hasMore: boolean }> {
  const answer = expectStatus(await api.call('GET', `/v1/conversations/${conversationId}/messages${query}`, undefined, { token: member.token }), 200);
  return answer.body as unknown as { items: MessageBody[]; hasMore: boolean };
}

async function outboxOf(conversationId: string): Promise<{ event_type: string; payload: Record<string, unknown> }[]> {
  const { rows } = await asOwner((db) => db.query<{ event_type: string; payload: Record<string, unknown> }>(
    'SELECT event_type, payload FROM outbox_event WHERE channel = $1 ORDER BY id', [`conversation:${conversationId}`]));
  return rows;
}

describe('sending', () => {
  it('answers 201 with the message; seq starts at 1; markdown is stored as text', async () => {
    const id = await openGroup(api, alice, [bob]);
    const body = '**Bold** _italic_ `code` <b>not html</b>\n\ttabbed';
    const answer = expectStatus(await sendMessage(api, alice, id, body), 201);
    const message = messageOf(answer);
    expect(Object.keys(message).sort()).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({ conversationId: id, seq: 1, senderId: alice.id, body, replyToSeq: null, attachments: [], reactions: {}, editedAt: null, deletedAt: null });
    expect(messageOf(expectStatus(await sendMessage(api, bob, id, { body: 'reply', replyToSeq: 1 }), 201))).toMatchObject({ seq: 2, replyToSeq: 1 });
  });

  it('refuses bodies that are empty, blank, too long or carry control characters (other than newline and tab) with 400, consuming no seq', async () => {
    const id = await openGroup(api, alice, [bob]);
    for (const body of ['', '   ', '\u200b', 'x'.repeat(10_001), 'bell\u0007', 'nul\u0000', 'cr\r\n', 'esc\u001b[31m', 'c1\u0085']) {
      const answer = await sendMessage(api, alice, id, body);
      expect([answer.status, errorCode(answer)]).toEqual([400, 'VALIDATION_FAILED']);
    }
    for (const payload of [{}, { body: 5 }, { body: 'x', extra: 1 }, { body: 'x', replyToSeq: 0 }, { body: 'x', attachmentIds: ['nope'] }]) {
      expect((await sendMessage(api, alice, id, payload)).status).toBe(400);
    }
    expect(messageOf(expectStatus(await sendMessage(api, alice, id, '😀'.repeat(10_000)), 201)).seq).toBe(1);
    const replyAhead = await sendMessage(api, alice, id, { body: 'to the future', replyToSeq: 2 });
    expect([replyAhead.status, errorCode(replyAhead)]).toEqual([422, 'INVALID_SEQ']);
    expect(messageOf(expectStatus(await sendMessage(api, alice, id, 'next'), 201)).seq).toBe(2);
  });

  it('R22: 50 concurrent senders in one conversation get seqs 1..50 with no gap or duplicate', async () => {
    const id = await openGroup(api, alice, [bob, carol]);
    const senders = [alice, bob, carol];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sendMessage(api, senders[i % 3], id, `concurrent ${i}`)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(201));
    expect(answers.map((answer) => messageOf(answer).seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const { rows } = await asOwner((db) => db.query<{ seq: string }>('SELECT seq FROM message WHERE conversation_id = $1 ORDER BY seq', [id]));
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const conversation = expectStatus(await api.call('GET', `/v1/conversations/${id}`, undefined, { token: bob.token }), 200);
    expect(conversation.body.lastSeq).toBe(50);
  });

  it('a send request leaves exactly one audit event, its write; a refused one leaves the request event', async () => {
    const id = await openGroup(api, alice, [bob]);
    const eventsOf = async (answer: HttpAnswer) => (await asOwner((db) => db.query<{ action: string; outcome: string; resource_id: string | null }>(
      'SELECT action, outcome, resource_id FROM audit_event WHERE request_id = $1', [String(answer.headers['x-request-id'])]))).rows;
    const accepted = expectStatus(await sendMessage(api, alice, id, 'one event'), 201);
    expect(await eventsOf(accepted)).toEqual([{ action: 'message.create', outcome: 'success', resource_id: accepted.body.id }]);
    const refused = await sendMessage(api, alice, id, 'bad\u0007');
    expect(await eventsOf(refused)).toEqual([{ action: 'message.send', outcome: 'failed', resource_id: null }]);
    const outsider = await sendMessage(api, carol, id, 'not a member');
    expect(await eventsOf(outsider)).toEqual([{ action: 'message.send', outcome: 'denied', resource_id: null }]);
  });

  it('each send commits its message, its audit event and an outbox event carrying ids and seq only, in seq order', async () => {
    const id = await openGroup(api, alice, [bob]);
    const sentIds: string[] = [];
    for (let i = 0; i < 3; i += 1) sentIds.push((await sent(api, alice, id, `secret body ${i}`)).id);
    const events = (await outboxOf(id)).filter((event) => event.event_type === 'message.created');
    expect(events.map((event) => event.payload)).toEqual(sentIds.map((messageId, i) => ({ conversationId: id, messageId, seq: i + 1 })));
    const { rows } = await asOwner((db) => db.query<{ resource_id: string; details: Record<string, unknown> }>(
      `SELECT resource_id, details FROM audit_event WHERE action = 'message.create' AND resource_id = ANY($1)`, [sentIds]));
    // The event names the message by id (its seq is on the message row, drawn in the same statement as the event).
    expect(rows.map((row) => row.resource_id).sort()).toEqual([...sentIds].sort());
    for (const row of rows) expect(row.details).toMatchObject({ conversationId: id });
  });
});

describe('bidirectional controls (issue 11, item 9)', () => {
  it('refuses overrides and isolates in a body, in a send and in an edit, and keeps RLM, LRM and emoji sequences', async () => {
    const id = await openGroup(api, alice, [bob]);
    for (const body of ['pay \u202eKCATTA\u202c now', 'dose \u2066 10 mg \u2069', '\u202d12\u202c units']) {
      const answer = await sendMessage(api, alice, id, body);
      expect([answer.status, errorCode(answer)]).toEqual([400, 'VALIDATION_FAILED']);
      expect(answer.body).toMatchObject({ error: { details: [expect.objectContaining({ field: 'body' })] } });
    }
    const kept = 'שלום \u200fbed 4\u200e 👩‍⚕️ 🏴󠁧󠁢󠁳󠁣󠁴󠁿';
    const { seq } = await sent(api, alice, id, kept);
    const edit = await api.call('PATCH', `/v1/conversations/${id}/messages/${seq}`, { body: 'now \u202eevil\u202c' }, { token: alice.token });
    expect([edit.status, errorCode(edit)]).toEqual([400, 'VALIDATION_FAILED']);
    const stored = expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/${seq}`, undefined, { token: bob.token }), 200);
    expect(messageOf(stored).body).toBe(kept);
    expect((await outboxOf(id)).filter((event) => event.event_type === 'message.created')).toHaveLength(1);
  });
});

describe('R15: Idempotency-Key', () => {
  it('a retry replays the first answer with Idempotent-Replayed: true and no second row', async () => {
    const id = await openGroup(api, alice, [bob]);
    const key = `retry-${randomUUID()}`;
    const first = expectStatus(await sendMessage(api, alice, id, 'dose 5 mg', { 'idempotency-key': key }), 201);
    const retry = expectStatus(await sendMessage(api, alice, id, 'dose 5 mg', { 'idempotency-key': key }), 201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await page(alice, id)).items).toHaveLength(1);
  });

  it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED; keys are per user', async () => {
    const id = await openGroup(api, alice, [bob]);
    const key = `reuse-${randomUUID()}`;
    expectStatus(await sendMessage(api, alice, id, 'dose 5 mg', { 'idempotency-key': key }), 201);
    const changed = await sendMessage(api, alice, id, 'dose 50 mg', { 'idempotency-key': key });
    expect([changed.status, errorCode(changed)]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(messageOf(expectStatus(await sendMessage(api, bob, id, 'dose 5 mg', { 'idempotency-key': key }), 201)).senderId).toBe(bob.id);
    expect((await page(alice, id)).items.map((message) => message.body)).toEqual(['dose 5 mg', 'dose 5 mg']);
  });

  it('concurrent requests with one key create one message', async () => {
    const id = await openGroup(api, alice, [bob]);
    const key = `race-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => sendMessage(api, alice, id, 'once', { 'idempotency-key': key })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect((await page(alice, id)).items).toHaveLength(1);
  });

  it('a key of more than 255 characters or with control characters is a 400', async () => {
    const id = await openGroup(api, alice, [bob]);
    expect((await sendMessage(api, alice, id, 'x', { 'idempotency-key': 'k'.repeat(256) })).status).toBe(400);
    expect((await sendMessage(api, alice, id, 'x', { 'idempotency-key': 'k'.repeat(255) })).status).toBe(201);
  });

  it('a key older than 24 hours is forgotten', async () => {
    const id = await openGroup(api, alice, [bob]);
    const key = `old-${randomUUID()}`;
    expectStatus(await sendMessage(api, alice, id, 'first', { 'idempotency-key': key }), 201);
    await asOwner((db) => db.query(`UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE user_id = $1`, [alice.id]));
    const later = expectStatus(await sendMessage(api, alice, id, 'second', { 'idempotency-key': key }), 201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(messageOf(later).seq).toBe(2);
  });
});

describe('reading', () => {
  let id: string;
  beforeAll(async () => {
    id = await openGroup(api, alice, [bob]);
    for (let i = 1; i <= 7; i += 1) await sent(api, i % 2 === 0 ? bob : alice, id, `message ${i}`);
  });

  it('pages ascending by seq with afterSeq, beforeSeq and limit, saying whether more lie beyond', async () => {
    const all = await page(bob, id);
    expect(all.items.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.hasMore).toBe(false);
    const after = await page(bob, id, '?afterSeq=2&limit=3');
    expect([after.items.map((message) => message.seq), after.hasMore]).toEqual([[3, 4, 5], true]);
    const before = await page(bob, id, '?beforeSeq=6&limit=2');
    expect([before.items.map((message) => message.seq), before.hasMore]).toEqual([[4, 5], true]);
    const between = await page(bob, id, '?afterSeq=1&beforeSeq=4');
    expect([between.items.map((message) => message.seq), between.hasMore]).toEqual([[2, 3], false]);
    expect((await page(bob, id, '?afterSeq=7')).items).toEqual([]);
    for (const query of ['?limit=0', '?limit=201', '?afterSeq=-1', '?beforeSeq=abc', '?unknown=1']) {
      expect((await api.call('GET', `/v1/conversations/${id}/messages${query}`, undefined, { token: bob.token })).status).toBe(400);
    }
  });

  it('reads every numeric query parameter as strict decimal digits, like path seqs (issue 11, item 11)', async () => {
    const refused = [
      ['messages', 'afterSeq', '0x10'], ['messages', 'afterSeq', ' 1'], ['messages', 'afterSeq', ''], ['messages', 'afterSeq', '01'],
      ['messages', 'beforeSeq', '1e1'], ['messages', 'limit', '1e2'], ['messages', 'limit', '+5'], ['list', 'limit', '0x10'],
      ['list', 'limit', '5.0'], ['search', 'limit', '1e1'],
    ] as const;
    for (const [route, name, value] of refused) {
      const url = route === 'messages' ? `/v1/conversations/${id}/messages?${name}=${encodeURIComponent(value)}`
        : route === 'list' ? `/v1/conversations?${name}=${encodeURIComponent(value)}` : `/v1/search/messages?q=message&${name}=${encodeURIComponent(value)}`;
      const answer = await api.call('GET', url, undefined, { token: bob.token });
      expect([route, name, value, answer.status, errorCode(answer)]).toEqual([route, name, value, 400, 'VALIDATION_FAILED']);
      expect(answer.body).toMatchObject({ error: { details: [expect.objectContaining({ field: name })] } });
    }
    expect((await page(bob, id, '?afterSeq=0&limit=2')).items.map((message) => message.seq)).toEqual([1, 2]);
    expect((await page(bob, id, '?afterSeq=6')).items.map((message) => message.seq)).toEqual([7]);
  });

  it('one message by seq; a seq that does not exist is 404, a malformed one 400', async () => {
    const answer = expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/3`, undefined, { token: bob.token }), 200);
    expect(messageOf(answer)).toMatchObject({ seq: 3, body: 'message 3' });
    expect((await api.call('GET', `/v1/conversations/${id}/messages/99`, undefined, { token: bob.token })).status).toBe(404);
    for (const seq of ['0', '-1', '1.5', '01', '+1', '0x1', '1e3', 'x', '99999999999999999999', '%20', '%201']) {
      expect([seq, (await api.call('GET', `/v1/conversations/${id}/messages/${seq}`, undefined, { token: bob.token })).status]).toEqual([seq, 400]);
    }
  });

  it('a page is one audit event naming the conversation and the seq range returned', async () => {
    const answer = expectStatus(await api.call('GET', `/v1/conversations/${id}/messages?afterSeq=2&limit=3`, undefined, { token: bob.token }), 200);
    const requestId = String(answer.headers['x-request-id']);
    const { rows } = await asOwner((db) => db.query<{ action: string; details: Record<string, unknown> }>(
      'SELECT action, details FROM audit_event WHERE request_id = $1', [requestId]));
    expect(rows).toHaveLength(1);
    expect(rows[0].action).toBe('message.list');
    expect(rows[0].details).toMatchObject({ 'read.message.conversationId': id, 'read.message.fromSeq': 3, 'read.message.toSeq': 5, 'read.message.count': 3 });
  });
});

describe('editing and deleting', () => {
  it('the sender edits; every earlier version is kept and listed in the history', async () => {
    const id = await openGroup(api, alice, [bob]);
    await sent(api, alice, id, 'version one');
    const edit = (member: Member, body: unknown) => api.call('PATCH', `/v1/conversations/${id}/messages/1`, { body }, { token: member.token });
    expect((await edit(bob, 'hijack')).status).toBe(403);
    expect((await edit(alice, 'bad\u0007')).status).toBe(400);
    const second = messageOf(expectStatus(await edit(alice, 'version two'), 200));
    expect(second.body).toBe('version two');
    expect(second.editedAt).not.toBeNull();
    expectStatus(await edit(alice, 'version three'), 200);
    const history = expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1/history`, undefined, { token: bob.token }), 200);
    const items = history.body.items as { body: string; editedAt: string }[];
    expect(items.map((item) => item.body)).toEqual(['version one', 'version two']);
    expect(Date.parse(items[0].editedAt)).toBeLessThanOrEqual(Date.parse(items[1].editedAt));
    expect(messageOf(expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1`, undefined, { token: bob.token }), 200)).body).toBe('version three');
  });

  it('delete leaves a tombstone: the body and history are gone, the seq stays and is never reused', async () => {
    const id = await openGroup(api, alice, [bob]);
    await sent(api, alice, id, 'to be deleted');
    expectStatus(await api.call('PATCH', `/v1/conversations/${id}/messages/1`, { body: 'edited before delete' }, { token: alice.token }), 200);
    expect((await api.call('DELETE', `/v1/conversations/${id}/messages/1`, undefined, { token: bob.token })).status).toBe(403);
    expectStatus(await api.call('DELETE', `/v1/conversations/${id}/messages/1`, undefined, { token: alice.token }), 204);
    expectStatus(await api.call('DELETE', `/v1/conversations/${id}/messages/1`, undefined, { token: alice.token }), 204);
    const tombstone = messageOf(expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1`, undefined, { token: bob.token }), 200));
    expect(tombstone).toMatchObject({ seq: 1, body: null });
    expect(tombstone.deletedAt).not.toBeNull();
    expect((expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1/history`, undefined, { token: bob.token }), 200)).body.items).toEqual([]);
    const editDeleted = await api.call('PATCH', `/v1/conversations/${id}/messages/1`, { body: 'again' }, { token: alice.token });
    expect([editDeleted.status, errorCode(editDeleted)]).toEqual([422, 'MESSAGE_DELETED']);
    expect(messageOf(expectStatus(await sendMessage(api, alice, id, 'after'), 201)).seq).toBe(2);
    const { rows } = await asOwner((db) => db.query('SELECT 1 FROM message_version v JOIN message m ON m.id = v.message_id WHERE m.conversation_id = $1', [id]));
    expect(rows).toEqual([]);
  });

  it('a tenant admin who is a member deletes anyone\'s message', async () => {
    const id = await openGroup(api, clinic.admin, [alice]);
    await sent(api, alice, id, 'inappropriate');
    expectStatus(await api.call('DELETE', `/v1/conversations/${id}/messages/1`, undefined, { token: clinic.admin.token }), 204);
  });
});

describe('reactions', () => {
  it('count per emoji with mine, idempotent PUT and DELETE, emoji or shortcode only', async () => {
    const id = await openGroup(api, alice, [bob, carol]);
    await sent(api, alice, id, 'lab results are in');
    const react = (member: Member, emoji: string, method: 'PUT' | 'DELETE' = 'PUT') =>
      api.call(method, `/v1/conversations/${id}/messages/1/reactions/${encodeURIComponent(emoji)}`, undefined, { token: member.token });
    expectStatus(await react(bob, '👍'), 204);
    expectStatus(await react(bob, '👍'), 204);
    expectStatus(await react(carol, '👍'), 204);
    expectStatus(await react(carol, '+1'), 204);
    expectStatus(await react(carol, '👍🏽'), 204);
    const asBob = messageOf(expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1`, undefined, { token: bob.token }), 200));
    expect(asBob.reactions).toEqual({ '👍': { count: 2, mine: true }, '+1': { count: 1, mine: false }, '👍🏽': { count: 1, mine: false } });
    expectStatus(await react(bob, '👍', 'DELETE'), 204);
    expectStatus(await react(bob, '👍', 'DELETE'), 204);
    const asCarol = messageOf(expectStatus(await api.call('GET', `/v1/conversations/${id}/messages/1`, undefined, { token: carol.token }), 200));
    expect(asCarol.reactions['👍']).toEqual({ count: 1, mine: true });
    for (const bad of ['👍👍', 'Thumbs', 'a b', 'x'.repeat(33), '<script>']) expect((await react(bob, bad)).status).toBe(400);
  });
});
