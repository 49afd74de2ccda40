import { errorCode, HttpAnswer, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sent } from '../../support/messaging';

/**
 * A caller sees only conversations it belongs to. Every messaging route, called by a member of the same tenant who
 * is not in the conversation and by a member of another tenant, answers 404 exactly as for an id that does not exist.
 */
let api: TestApi;
let home: Clinic;
let foreign: Clinic;
let conversationId: string;
let attachmentId: string;

beforeAll(async () => {
  api = await TestApi.start();
  home = await openClinic(api, 3);
  foreign = await openClinic(api, 1);
  const [owner, member] = home.members;
  conversationId = await openGroup(api, owner, [member], 'Private');
  await sent(api, owner, conversationId, 'patient note');
  const attachment = expectStatus(await api.call('POST', '/v1/attachments', { conversationId, fileName: 'scan.png', contentType: 'image/png', size: 10 }, { token: owner.token }), 201);
  attachmentId = String(attachment.body.id);
});
afterAll(async () => {
  await api.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
interface Route {
  method: Method;
  path: () => string;
  body?: () => Record<string, unknown>;
}

const routes: Route[] = [
  { method: 'GET', path: () => `/v1/conversations/${conversationId}` },
  { method: 'PATCH', path: () => `/v1/conversations/${conversationId}`, body: () => ({ title: 'stolen' }) },
  { method: 'POST', path: () => `/v1/conversations/${conversationId}/members`, body: () => ({ userIds: [home.members[2].id] }) },
  { method: 'DELETE', path: () => `/v1/conversations/${conversationId}/members/${home.members[1].id}` },
  { method: 'POST', path: () => `/v1/conversations/${conversationId}/messages`, body: () => ({ body: 'intrusion' }) },
  { method: 'GET', path: () => `/v1/conversations/${conversationId}/messages` },
  { method: 'GET', path: () => `/v1/conversations/${conversationId}/messages/1` },
  { method: 'PATCH', path: () => `/v1/conversations/${conversationId}/messages/1`, body: () => ({ body: 'rewritten' }) },
  { method: 'GET', path: () => `/v1/conversations/${conversationId}/messages/1/history` },
  { method: 'DELETE', path: () => `/v1/conversations/${conversationId}/messages/1` },
  { method: 'PUT', path: () => `/v1/conversations/${conversationId}/messages/1/reactions/%F0%9F%91%8D` },
  { method: 'DELETE', path: () => `/v1/conversations/${conversationId}/messages/1/reactions/%F0%9F%91%8D` },
  { method: 'POST', path: () => `/v1/conversations/${conversationId}/read`, body: () => ({ seq: 1 }) },
  { method: 'GET', path: () => `/v1/conversations/${conversationId}/receipts` },
  { method: 'GET', path: () => `/v1/search/messages?q=patient&conversationId=${conversationId}` },
  { method: 'POST', path: () => '/v1/attachments', body: () => ({ conversationId, fileName: 'x.png', contentType: 'image/png', size: 10 }) },
  { method: 'POST', path: () => `/v1/attachments/${attachmentId}/complete` },
  { method: 'GET', path: () => `/v1/attachments/${attachmentId}/download` },
];

function call(route: Route, caller: Member): Promise<HttpAnswer> {
  return api.call(route.method, route.path(), route.body?.(), { token: caller.token });
}

describe.each([
  ['a member of the same tenant outside the conversation', () => home.members[2]],
  ['a member of another tenant', () => foreign.members[0]],
  ['an administrator of another tenant', () => foreign.admin],
])('%s', (_, caller) => {
  it.each(routes.map((route) => [`${route.method} ${route.path.toString().replace(/^\(\) => /, '')}`, route]))('gets 404 from %s', async (_name, route) => {
    const answer = await call(route, caller());
    expect([answer.status, errorCode(answer)]).toEqual([404, 'NOT_FOUND']);
  });
});

it('and nothing changed: the conversation still has its title, members and one message', async () => {
  const [owner] = home.members;
  const conversation = expectStatus(await api.call('GET', `/v1/conversations/${conversationId}`, undefined, { token: owner.token }), 200);
  expect(conversation.body).toMatchObject({ title: 'Private', lastSeq: 1 });
  expect((conversation.body.members as unknown[]).length).toBe(2);
  const message = expectStatus(await api.call('GET', `/v1/conversations/${conversationId}/messages/1`, undefined, { token: owner.token }), 200);
  expect(message.body).toMatchObject({ body: 'patient note', reactions: {} });
});

it('the outsider\'s own conversation list never shows it', async () => {
  for (const outsider of [home.members[2], foreign.members[0]]) {
    const list = expectStatus(await api.call('GET', '/v1/conversations', undefined, { token: outsider.token }), 200);
    expect((list.body.items as { id: string }[]).map((item) => item.id)).not.toContain(conversationId);
  }
});

it('a compliance officer without messaging.use is refused with 403 on every route', async () => {
  const officer = await api.createUser(home.admin.token, 'compliance_officer');
  const token = (await api.session(home.tenant.slug, officer.email)).accessToken;
  for (const route of routes) {
    const answer = await api.call(route.method, route.path(), route.body?.(), { token });
    expect(answer.status).toBe(403);
  }
});
