import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import { asOwner, TEST_PASSWORD } from '../../support/fixtures';
import { displayNameSearch } from '../../../src/modules/identity/user.table';
import { errorCode as errorCodeOf, TestApi, TestTenant } from '../../support/identity';

/**
 * Hostile input on every identity route: every answer must be a 4xx with the error envelope, never a 5xx, never a
 * stack trace, never the value sent back. Everything is generated from one seed, so a failure replays exactly.
 */
const SEED = 0x1d3e71;
const CANARY = 'cnry7Q4x';
const HUGE = `${CANARY}${'A'.repeat(100 * 1024)}`;
const RANDOM_CASES_PER_ROUTE = 20;
/** Strings tried on a field that refuses every string (a token, a code): a seeded sample of GENERIC_STRINGS. */
const ANY_STRING_SAMPLE = 16;
const VALID_ROLES = ['member', 'tenant_admin', 'compliance_officer'];
const VALID_STATUSES = ['active', 'disabled'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** mulberry32: small, fast and reproducible; good enough to pick hostile inputs. */
class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** Sets an own property, `__proto__` included (plain assignment would replace the prototype instead). */
function put(target: JsonObject, key: string, value: Json): JsonObject {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const CODE_POINT_POOLS: readonly [number, number][] = [
  [0x20, 0x7e], [0x00, 0x1f], [0x7f, 0x9f], [0xa0, 0x24f], [0x300, 0x36f], [0x590, 0x6ff], [0x200b, 0x200f],
  [0x202a, 0x202e], [0x2066, 0x2069], [0x4e00, 0x4fff], [0x1f300, 0x1f64f], [0xd800, 0xdfff], [0xfdd0, 0xfdef], [0xfff0, 0xffff],
];
const CONTROL_CHARACTERS = ['\u0000', '\u0007', '\u001b', '\n', '\r', '\t', '\u007f', '\u0085', '\u200b', '\u200e', '\u202e', '\u2028', '\u2029', '\ufeff'];

function randomUnicode(rng: Rng, maxLength: number, minLength = 0): string {
  let text = '';
  const length = rng.int(minLength, maxLength);
  for (let i = 0; i < length; i++) {
    const [low, high] = rng.pick(CODE_POINT_POOLS);
    const point = rng.int(low, high);
    // lone surrogates on purpose: fromCharCode keeps them unpaired
    text += point >= 0xd800 && point <= 0xdfff ? String.fromCharCode(point) : String.fromCodePoint(point);
  }
  return text;
}

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'isAdmin', 'tenantId', 'id', 'role', 'status', 'passwordHash', 'toString', 'valueOf', 'hasOwnProperty', '$where', '', ' ', '\u0000', 'a.b', '[0]', 'k'.repeat(10_000)];

function randomJson(rng: Rng, depth: number): Json {
  const roll = rng.int(0, depth > 0 ? 9 : 6);
  switch (roll) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE]);
    case 3: return rng.int(-1_000_000, 1_000_000);
    case 4:
    case 5:
    case 6: return `${randomUnicode(rng, 40)}${CANARY}`;
    case 7:
    case 8: return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth - 1));
    default: {
      const value: JsonObject = {};
      for (let i = rng.int(0, 4); i > 0; i--) put(value, rng.chance(0.6) ? rng.pick(HOSTILE_KEYS) : randomUnicode(rng, 12), randomJson(rng, depth - 1));
      return value;
    }
  }
}

/** A random value that is never a string: wrong for every field here, all of which are strings. */
function randomNonString(rng: Rng): Json {
  for (;;) {
    const value = randomJson(rng, 3);
    if (typeof value !== 'string') return value;
  }
}

const WRONG_TYPES: readonly Json[] = [
  null, 0, -1, 1.5, 1e308, true, false, [], [CANARY], ['a', 'b'], {}, { $ne: null }, { $gt: '' }, { toString: CANARY },
  { length: 5 }, [[[[[]]]]], 123456789012, -0,
];

/** Strings no field here accepts as-is, or that every route here refuses with the rest of a valid body. */
const GENERIC_STRINGS: readonly string[] = [
  '', ' ', HUGE, `\u0000${CANARY}`, `a\u0007b${CANARY}`, `\u001b[31m${CANARY}`, `${CANARY}\u202e`, `\u200b${CANARY}`, `line\nbreak${CANARY}`,
  `\ufeff${CANARY}`, `${CANARY}\u2028`, `\ud800${CANARY}`, `\udfff\ud800`, '🔥💉', 'null', 'undefined', 'true', '123', '-1', '1e309', 'NaN',
  `' OR '1'='1' --${CANARY}`, `"; DROP TABLE app_user; --${CANARY}`, `<script>alert(1)</script>${CANARY}`, `../../../etc/passwd${CANARY}`,
  `\${jndi:ldap://x/${CANARY}}`, '{{7*7}}', '__proto__', 'constructor', 'prototype', `%00${CANARY}`, '\\u0000', 'Ω≈ç√∫˜µ≤≥÷',
  'ﷺ'.repeat(300), 'A\u0301'.repeat(150), 'İ'.repeat(300), `مرحبا${CANARY}`, '\uffff', 'x'.repeat(201), '\t',
];
const CONTROL_STRINGS = GENERIC_STRINGS.filter((text) => CONTROL_CHARACTERS.some((c) => text.includes(c)));

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
    case 'displayName': {
      const text = `${randomUnicode(rng, 30)}${CANARY}`;
      const at = rng.int(0, text.length);
      return `${text.slice(0, at)}${rng.pick(CONTROL_CHARACTERS)}${text.slice(at)}`;
    }
    case 'newUserPassword': return randomUnicode(rng, 11, 1);
    case 'enum': {
      const text = randomUnicode(rng, 30, 1);
      return accepted.includes(text) ? `${text}!` : text;
    }
    case 'logoutToken': return `${'z'.repeat(201)}${randomUnicode(rng, 30)}`;
  }
}

const MALFORMED_JSON: readonly string[] = [
  '{', '}', 'not json', '{"a":}', "{'a':1}", '[1,2', 'nul', '\u0000', '{"email":"x"} trailing', '{"a":1,}', '{"a":"\\u12"}',
  '{"a":NaN}', '{"a":Infinity}', '0x10', ' ', '{"a":"\u0000', `{"${CANARY}":`, '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":1}{"b":2}', '\u0000{}', '{"a":"\ud800"', '["unterminated',
];

/** Valid JSON nested far deeper than any DTO here, in a body of a few kilobytes. */
const DEEP_NESTING = 5_000;

interface Probe {
  label: string;
  method: Method;
  url: string;
  /** Raw text (sent as given) or a JSON value (serialised). */
  body?: { raw: string } | { json: Json } | { bytes: Buffer };
  contentType?: string;
  authorization?: string;
}

interface Raw {
  status: number;
  contentType: string;
  text: string;
}

const LEAKS: readonly RegExp[] = [
  /\bat\s+\S+\s+\([^)]*:\d+:\d+\)/, /\.(?:ts|js|mjs|cjs):\d+/, /node_modules/, /"stack"\s*:/,
  /\b(?:TypeError|RangeError|ReferenceError|QueryFailedError|EntityNotFound)\b/, /\bpostgres|\bduplicate key\b|\bviolates\b/i,
];

let api: TestApi;
let tenant: TestTenant;
let adminToken: string;
let adminRefreshToken: string;
let logoutAllToken: string;
let target: { id: string; email: string };
let mfaUser: { id: string; email: string; token: string };
let prototypeNames: string[];

async function send(probe: Probe): Promise<Raw> {
  const headers: Record<string, string> = {};
  if (probe.authorization !== undefined) headers.authorization = probe.authorization;
  let payload: string | Buffer | undefined;
  if (probe.body) {
    payload = 'raw' in probe.body ? probe.body.raw : 'bytes' in probe.body ? probe.body.bytes : JSON.stringify(probe.body.json);
    headers['content-type'] = probe.contentType ?? 'application/json';
  }
  const response = await api.app.inject({ method: probe.method, url: probe.url, headers, remoteAddress: '10.9.8.7', ...(payload === undefined ? {} : { payload }) });
  return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), text: response.body };
}

function describeProbe(probe: Probe, raw: Raw, problem: string): string {
  const body = !probe.body ? '' : 'raw' in probe.body ? probe.body.raw : 'bytes' in probe.body ? `<${probe.body.bytes.length} bytes>` : JSON.stringify(probe.body.json);
  return `${probe.label} [${probe.method} ${probe.url.slice(0, 120)} body=${body.slice(0, 120)}]: ${problem}: ${raw.status} ${raw.text.slice(0, 300)}`;
}

/** What is wrong with an error answer (empty when it is a proper envelope without leaks). */
function envelopeProblems(raw: Raw): string[] {
  const problems: string[] = [];
  if (!raw.contentType.includes('application/json')) problems.push(`content type ${raw.contentType}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.text);
  } catch {
    return [...problems, 'body is not JSON'];
  }
  const error = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).error : undefined;
  if (typeof error !== 'object' || error === null) return [...problems, 'no error envelope'];
  const { code, message, requestId } = error as Record<string, unknown>;
  if (typeof code !== 'string' || !/^[A-Z][A-Z_]+$/.test(code)) problems.push('error.code is not a code string');
  if (typeof message !== 'string') problems.push('error.message is not a string');
  if (typeof requestId !== 'string') problems.push('error.requestId is not a string');
  if (!('details' in error)) problems.push('error.details is missing');
  for (const leak of LEAKS) if (leak.test(raw.text)) problems.push(`leak ${leak}`);
  if (raw.text.includes(process.cwd())) problems.push('leaks a file path');
  if (raw.text.includes(CANARY)) problems.push('echoes the value sent');
  return problems;
}

/** Sends every probe; returns a line per answer that is not a proper 4xx (or not the expected status). */
async function refusals(probes: readonly Probe[], expected: (status: number) => boolean = (status) => status >= 400 && status < 500): Promise<string[]> {
  const failures: string[] = [];
  for (const probe of probes) {
    const raw = await send(probe);
    if (!expected(raw.status)) failures.push(describeProbe(probe, raw, 'unexpected status'));
    if (raw.status >= 400) for (const problem of envelopeProblems(raw)) failures.push(describeProbe(probe, raw, problem));
  }
  return failures;
}

interface FieldSpec {
  kind: FieldKind;
  required: boolean;
  accepted?: readonly string[];
}

interface BodyRoute {
  name: string;
  method: Method;
  url: () => string;
  token?: () => string;
  /** A body the route would accept (or refuse only for its values), made fresh for each probe. */
  base: () => JsonObject;
  fields: Record<string, FieldSpec>;
  /** Routes that hash a password on every well-typed body sample their strings (argon2 costs ~20 ms each). */
  stringSample?: number;
}

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
    fields: { tenant: { kind: 'any', required: true }, email: { kind: 'any', required: true }, password: { kind: 'any', required: true }, totp: { kind: 'any', required: false } },
  },
  {
    name: 'POST /v1/auth/login (MFA user, right password)',
    method: 'POST',
    url: () => '/v1/auth/login',
    base: () => ({ tenant: tenant.slug, email: mfaUser.email, password: TEST_PASSWORD, totp: 'abcdef' }),
    stringSample: 16,
    fields: { totp: { kind: 'any', required: true } },
  },
  {
    name: 'POST /v1/auth/refresh',
    method: 'POST',
    url: () => '/v1/auth/refresh',
    base: () => ({ refreshToken: forgedRefreshToken() }),
    fields: { refreshToken: { kind: 'any', required: true } },
  },
  {
    name: 'POST /v1/auth/logout',
    method: 'POST',
    url: () => '/v1/auth/logout',
    base: () => ({ refreshToken: forgedRefreshToken() }),
    fields: { refreshToken: { kind: 'logoutToken', required: true } },
  },
  {
    name: 'POST /v1/auth/password',
    method: 'POST',
    url: () => '/v1/auth/password',
    token: () => adminToken,
    base: () => ({ currentPassword: 'definitely not it 123', newPassword: 'a brand new passphrase 77' }),
    stringSample: 10,
    fields: { currentPassword: { kind: 'any', required: true }, newPassword: { kind: 'any', required: true } },
  },
  {
    name: 'POST /v1/auth/password (right current password)',
    method: 'POST',
    url: () => '/v1/auth/password',
    token: () => adminToken,
    base: () => ({ currentPassword: TEST_PASSWORD, newPassword: 'short' }),
    fields: { newPassword: { kind: 'newUserPassword', required: true } },
  },
  {
    name: 'POST /v1/auth/mfa/totp/confirm',
    method: 'POST',
    url: () => '/v1/auth/mfa/totp/confirm',
    token: () => adminToken,
    base: () => ({ code: 'abcdef' }),
    fields: { code: { kind: 'any', required: true } },
  },
  {
    name: 'DELETE /v1/auth/mfa/totp (nothing confirmed)',
    method: 'DELETE',
    url: () => '/v1/auth/mfa/totp',
    token: () => adminToken,
    base: () => ({ code: 'abcdef' }),
    fields: { code: { kind: 'any', required: true } },
  },
  {
    name: 'DELETE /v1/auth/mfa/totp (confirmed authenticator)',
    method: 'DELETE',
    url: () => '/v1/auth/mfa/totp',
    token: () => mfaUser.token,
    base: () => ({ code: 'abcdef' }),
    fields: { code: { kind: 'any', required: true } },
  },
  {
    name: 'POST /v1/users',
    method: 'POST',
    url: () => '/v1/users',
    token: () => adminToken,
    base: () => ({ email: uniqueEmail(), displayName: 'Fuzz Person', password: TEST_PASSWORD, role: 'member' }),
    fields: {
      email: { kind: 'email', required: true },
      displayName: { kind: 'displayName', required: true },
      password: { kind: 'newUserPassword', required: true },
      role: { kind: 'enum', required: true, accepted: VALID_ROLES },
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
      displayName: { kind: 'displayName', required: true },
      role: { kind: 'enum', required: false, accepted: VALID_ROLES },
      status: { kind: 'enum', required: false, accepted: VALID_STATUSES },
    },
  },
];

const EXTRA_FIELDS: readonly [string, Json][] = [
  ['isAdmin', true], ['tenantId', '00000000-0000-0000-0000-000000000001'], ['id', '00000000-0000-0000-0000-000000000002'], ['passwordHash', '$argon2id$x'],
  ['constructor', CANARY], ['prototype', {}], ['hasOwnProperty', 1], ['toString', 1], ['valueOf', 1], ['', 1], ['\u0000', 1], ['k'.repeat(10_000), 1],
  ['createdAt', '1970-01-01T00:00:00Z'], ['sessionId', '00000000-0000-0000-0000-000000000003'], ['nested', { deep: { deeper: [CANARY] } }],
];

/** Texts that splice a key into an otherwise valid body: prototype pollution attempts JSON.stringify cannot express. */
function splicedBodies(base: JsonObject): string[] {
  const text = JSON.stringify(base);
  const head = text.slice(0, -1);
  const [firstKey] = Object.keys(base);
  return [
    `{"__proto__":{"isAdmin":true,"role":"tenant_admin"},${text.slice(1)}`,
    `{"constructor":{"prototype":{"isAdmin":true}},${text.slice(1)}`,
    `{"__proto__":null,${text.slice(1)}`,
    `{"a":{"__proto__":{"polluted":"${CANARY}"}},${text.slice(1)}`,
    `${head},"__proto__":{"isAdmin":true}}`,
    // a duplicate key: the last one wins, and it is not a string
    `${head},${JSON.stringify(firstKey)}:[${JSON.stringify(CANARY)}]}`,
  ];
}

function bodyProbes(route: BodyRoute, rng: Rng): Probe[] {
  const probes: Probe[] = [];
  const token = route.token?.();
  const authorization = token ? `Bearer ${token}` : undefined;
  const probe = (label: string, body: Probe['body'], contentType?: string): Probe => ({ label: `${route.name}: ${label}`, method: route.method, url: route.url(), body, contentType, authorization });

  for (const [field, spec] of Object.entries(route.fields)) {
    for (const value of WRONG_TYPES) probes.push(probe(`${field} = ${JSON.stringify(value)}`, { json: put(route.base(), field, value) }));
    const strings = invalidStrings(spec.kind, spec.accepted);
    const size = route.stringSample ?? (spec.kind === 'any' ? ANY_STRING_SAMPLE : strings.length);
    const sample = size >= strings.length ? strings : Array.from({ length: size }, () => rng.pick(strings));
    for (const value of sample) probes.push(probe(`${field} = string(${value.length})`, { json: put(route.base(), field, value) }));
    if (spec.required) {
      const without = route.base();
      Reflect.deleteProperty(without, field);
      probes.push(probe(`without ${field}`, { json: without }));
    }
  }
  for (const [key, value] of EXTRA_FIELDS) probes.push(probe(`extra field ${JSON.stringify(key).slice(0, 20)}`, { json: put(route.base(), key, value) }));
  for (const text of splicedBodies(route.base())) probes.push(probe(`spliced ${text.slice(0, 40)}`, { raw: text }));
  for (const value of [null, [], [route.base()], 0, 'string', true, HUGE] as Json[]) probes.push(probe(`top-level ${JSON.stringify(value).slice(0, 20)}`, { json: value }));
  probes.push(probe('empty object', { json: {} }));
  probes.push(probe('no body', undefined));
  probes.push(probe('empty body', { raw: '' }));
  for (const text of MALFORMED_JSON) probes.push(probe(`malformed ${JSON.stringify(text.slice(0, 20))}`, { raw: text }));
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx']) {
    probes.push(probe(`content type ${contentType}`, { raw: JSON.stringify(route.base()) }, contentType));
  }
  probes.push(probe('UTF-16 body', { bytes: Buffer.from(JSON.stringify(route.base()), 'utf16le') }, 'application/json; charset=utf-16'));
  const [firstField] = Object.keys(route.fields);
  probes.push(probe(`${firstField} = deeply nested array`, { raw: JSON.stringify(put(route.base(), firstField, 0)).replace(/:0([,}])/, `:${nested(DEEP_NESTING, 'array')}$1`) }));
  probes.push(probe('deeply nested body', { raw: nested(DEEP_NESTING, 'object') }));
  probes.push(probe('form-encoded body', { raw: `${Object.keys(route.base()).map((key) => `${key}=1`).join('&')}&__proto__[isAdmin]=1` }, 'application/x-www-form-urlencoded'));

  const fieldNames = Object.keys(route.fields);
  for (let i = 0; i < (route.stringSample === undefined ? RANDOM_CASES_PER_ROUTE : RANDOM_CASES_PER_ROUTE / 2); i++) {
    const body = route.base();
    const mutations = rng.int(1, 3);
    for (let m = 0; m < mutations; m++) {
      const field = rng.pick(fieldNames);
      const spec = route.fields[field];
      switch (rng.int(0, 3)) {
        case 0: put(body, field, randomNonString(rng)); break;
        case 1: put(body, field, randomInvalidString(rng, spec.kind, spec.accepted)); break;
        case 2: put(body, rng.chance(0.5) ? rng.pick(HOSTILE_KEYS.filter((key) => !fieldNames.includes(key) && !(key in route.base()))) : `x-${randomUnicode(rng, 10)}`, randomJson(rng, 3)); break;
        default:
          if (spec.required) Reflect.deleteProperty(body, field);
          else put(body, field, randomNonString(rng));
      }
    }
    probes.push(probe(`random #${i}`, { json: body }));
  }
  return probes;
}

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

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function forgedAuthorizations(): string[] {
  const [header, payload, signature] = adminToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const otherTenant = { ...claims, tid: randomUUID(), tenantId: randomUUID(), sub: randomUUID() };
  const longer = { ...claims, exp: Number(claims.exp ?? 0) + 86_400 * 365, role: 'tenant_admin' };
  return [
    '', 'Bearer', 'Bearer ', `Bearer ${CANARY}`, 'Basic YWRtaW46YWRtaW4=', `Token ${adminToken}`, `Bearer ${adminToken}x`, `Bearer ${adminToken.slice(0, -4)}`,
    `Bearer ${base64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`, `Bearer ${base64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.${signature}`,
    `Bearer ${base64url({ alg: 'HS256', typ: 'at+jwt' })}.${payload}.${signature}`, `Bearer ${header}.${base64url(longer)}.${signature}`,
    `Bearer ${header}.${base64url(otherTenant)}.${signature}`, `Bearer ${header}.${payload}`, `Bearer ${header}..${signature}`,
    `Bearer ${'a'.repeat(12_000)}`, 'Bearer a.b.c', 'Bearer ..', `Bearer ${adminRefreshToken}`, `Bearer ${base64url({ alg: 'ES256', kid: '../../etc/passwd' })}.${payload}.${signature}`,
    `Bearer ${base64url({ alg: 'ES256', jku: 'http://evil.test/jwks', kid: 'x' })}.${payload}.${signature}`,
  ];
}

const BAD_IDS: readonly string[] = [
  'not-a-uuid', '1', '-1', '0', 'null', 'undefined', '__proto__', 'constructor', 'prototype', encodeURIComponent(`' OR 1=1 --${CANARY}`), '%00',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F..%2F', encodeURIComponent(HUGE), `${randomUUID()}x`, randomUUID().replaceAll('-', ''), `%7B${randomUUID()}%7D`,
  randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '%E0%A4%A', '%', '%ZZ', encodeURIComponent('\u0000'),
  encodeURIComponent(`🔥${CANARY}`), `${randomUUID()}%20`, `${randomUUID()};drop`, `${randomUUID()}/extra`, encodeURIComponent(`${randomUUID()}\n`), 'g'.repeat(36),
  `${randomUUID().slice(0, 35)}`, `%ED%A0%80${CANARY}`,
];

/** encodeURIComponent, except that a lone surrogate goes out as its (invalid) WTF-8 bytes instead of throwing. */
function encodeQuery(value: string): string {
  let encoded = '';
  for (const character of value) {
    const point = character.codePointAt(0) ?? 0;
    encoded += point >= 0xd800 && point <= 0xdfff
      ? [0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')
      : encodeURIComponent(character);
  }
  return encoded;
}

const BAD_QUERIES: readonly string[] = [
  ...invalidStrings('email').map((value) => `email=${encodeQuery(value)}`),
  ...['', 'a', '-', ' ', '\u0000', '🔥🔥', 'x'.repeat(201), HUGE, `a ${'-'.repeat(50)}`, `\u200b${CANARY}`.slice(0, 1)].map((value) => `q=${encodeQuery(value)}`),
  ...GENERIC_STRINGS.map((value) => `cursor=${encodeQuery(value)}`),
  ...['0', '201', '-1', '1.5', 'abc', 'NaN', 'Infinity', '-Infinity', '', '1e309', '99999999999999999999', 'true', 'null', '[]', '%00', ' ', '1,2', '\u0000'].map((value) => `limit=${encodeQuery(value)}`),
  'limit=1&limit=2', 'email=a%40b.test&email=c%40d.test', 'q=ab&q=cd', `cursor=${randomUUID()}&cursor=${randomUUID()}`, 'email=a%40b.test&q=alex',
  '__proto__=x', '__proto__[isAdmin]=1', 'constructor=x', 'constructor[prototype][isAdmin]=1', 'isAdmin=true', `tenantId=${randomUUID()}`, 'email[]=a%40b.test',
  'limit[$gt]=1', 'q[0]=ab', 'q[]=ab', 'hasOwnProperty=1', 'toString=1', 'q=%', 'limit=%ZZ', `${'k'.repeat(5_000)}=1`, 'q=ab&x=1',
];

/** Hostile but well-formed values: the routes may accept them, but never with a 5xx. */
const WELL_FORMED_NAMES: readonly string[] = [
  'Zoë O\'Brien-Łukasiewicz', 'ﷺ'.repeat(200), 'A\u0301'.repeat(100), 'İ'.repeat(200), 'مرحبا بالعالم', '田中 太郎', '🔥💉 Emoji Person', 'Robert\'); DROP TABLE app_user;--',
  '<img src=x onerror=alert(1)>', '${jndi:ldap://x}', '%00 null', 'x'.repeat(200), '   ', 'ǅungla ǈubljana', 'ΣΊΣΥΦΟΣ σίσυφος', 'ß straße STRASSE',
];

beforeAll(async () => {
  prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
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
    expect(await refusals(probes)).toEqual([]);
  });

  it('POST /v1/auth/logout: a well-typed junk token is a quiet 204 with no body (logout reveals nothing)', async () => {
    // Well-typed: text of a plausible length. Malformed UTF-16 is refused earlier, with 400.
    const junk = GENERIC_STRINGS.filter((text) => text.length > 0 && text.length <= 200 && !/\p{Cs}/u.test(text));
    const quiet = junk.map((refreshToken): Probe => ({ label: 'logout junk token', method: 'POST', url: '/v1/auth/logout', body: { json: { refreshToken } } }));
    expect(await refusals(quiet, (status) => status === 204)).toEqual([]);
    const answer = await send(quiet[0]);
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 204, text: '' });
  });

  it('refuses malformed JSON on routes that take no body', async () => {
    const probes: Probe[] = [];
    for (const { method, url } of [{ method: 'POST' as const, url: '/v1/auth/mfa/totp/enroll' }, { method: 'DELETE' as const, url: `/v1/auth/sessions/${randomUUID()}` }, { method: 'POST' as const, url: '/v1/auth/logout-all' }]) {
      const token = url.endsWith('logout-all') ? logoutAllToken : adminToken;
      for (const text of ['', ...MALFORMED_JSON]) probes.push({ label: `malformed ${JSON.stringify(text.slice(0, 20))}`, method, url, body: { raw: text }, authorization: `Bearer ${token}` });
    }
    expect(await refusals(probes)).toEqual([]);
    // the session logout-all was fuzzed with is still alive: no refused request ended it
    expect((await send({ label: 'me', method: 'GET', url: '/v1/users/me', authorization: `Bearer ${logoutAllToken}` })).status).toBe(200);
  });

  it('refuses forged, tampered and malformed credentials on every authenticated route: 401', async () => {
    const probes: Probe[] = [];
    const authorizations = forgedAuthorizations();
    for (const route of authenticatedRoutes()) {
      for (const authorization of authorizations) {
        probes.push({ label: `authorization ${authorization.slice(0, 40)}`, method: route.method, url: route.url, authorization, ...(route.body === undefined ? {} : { body: { json: route.body } }) });
      }
    }
    expect(probes.length).toBeGreaterThan(200);
    expect(await refusals(probes, (status) => status === 401)).toEqual([]);
  });

  it('refuses malformed ids in path parameters', async () => {
    const probes: Probe[] = [];
    for (const id of BAD_IDS) {
      probes.push({ label: `GET user ${id.slice(0, 30)}`, method: 'GET', url: `/v1/users/${id}`, authorization: `Bearer ${adminToken}` });
      probes.push({ label: `PATCH user ${id.slice(0, 30)}`, method: 'PATCH', url: `/v1/users/${id}`, body: { json: { displayName: 'Param Fuzz' } }, authorization: `Bearer ${adminToken}` });
      probes.push({ label: `DELETE session ${id.slice(0, 30)}`, method: 'DELETE', url: `/v1/auth/sessions/${id}`, authorization: `Bearer ${adminToken}` });
    }
    expect(await refusals(probes)).toEqual([]);
  });

  it('refuses hostile queries on GET /v1/users', async () => {
    const probes = BAD_QUERIES.map((query): Probe => ({ label: `query ${query.slice(0, 40)}`, method: 'GET', url: `/v1/users?${query}`, authorization: `Bearer ${adminToken}` }));
    expect(probes.length).toBeGreaterThan(100);
    expect(await refusals(probes)).toEqual([]);
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
      ...['1e2', ' 5', '0x10', '0b11', '5 ', '007'].map((limit): Probe => ({ label: `limit ${limit}`, method: 'GET', url: `/v1/users?limit=${encodeQuery(limit)}`, authorization: `Bearer ${adminToken}` })),
    ];
    failures.push(...(await refusals(probes, handled)));
    expect(failures).toEqual([]);
  });

  it('leaves everything whole afterwards: the admin signs in, nothing was half-written, no prototype was polluted', async () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
    const blank: Record<string, unknown> = {};
    for (const key of ['isAdmin', 'role', 'polluted', 'tenantId']) expect(blank[key]).toBeUndefined();

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
