import { randomUUID } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TestApi } from './identity';

/**
 * Hostile-input fuzzing for HTTP routes: seeded generators of hostile values, probes sent through Fastify's inject,
 * and a checker for every refusal (a 4xx with the error envelope, no stack, no path, no echo of the value sent).
 * Everything random comes from one seeded Rng, so a failure replays exactly.
 */

/** Marks every generated value: an answer that contains it echoes what was sent. */
export const CANARY = 'cnry7Q4x';
export const HUGE = `${CANARY}${'A'.repeat(100 * 1024)}`;
export const RANDOM_CASES_PER_ROUTE = 20;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** mulberry32: small, fast and reproducible; good enough to pick hostile inputs. */
export class Rng {
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

  /** `size` items picked at random (repeats allowed), or all of them when there are no more than that. */
  sample<T>(items: readonly T[], size: number): readonly T[] {
    return size >= items.length ? items : Array.from({ length: size }, () => this.pick(items));
  }
}

/** Sets an own property, `__proto__` included (plain assignment would replace the prototype instead). */
export function put(target: JsonObject, key: string, value: Json): JsonObject {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

export function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const CODE_POINT_POOLS: readonly [number, number][] = [
  [0x20, 0x7e], [0x00, 0x1f], [0x7f, 0x9f], [0xa0, 0x24f], [0x300, 0x36f], [0x590, 0x6ff], [0x200b, 0x200f],
  [0x202a, 0x202e], [0x2066, 0x2069], [0x4e00, 0x4fff], [0x1f300, 0x1f64f], [0xd800, 0xdfff], [0xfdd0, 0xfdef], [0xfff0, 0xffff],
];
export const CONTROL_CHARACTERS = ['\u0000', '\u0007', '\u001b', '\n', '\r', '\t', '\u007f', '\u0085', '\u200b', '\u200e', '\u202e', '\u2028', '\u2029', '\ufeff'];

export function randomUnicode(rng: Rng, maxLength: number, minLength = 0): string {
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

/** A random string with one control or format character inserted at a random place. */
export function withControlCharacter(rng: Rng, text: string): string {
  const at = rng.int(0, text.length);
  return `${text.slice(0, at)}${rng.pick(CONTROL_CHARACTERS)}${text.slice(at)}`;
}

export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'isAdmin', 'tenantId', 'id', 'role', 'status', 'passwordHash', 'toString', 'valueOf', 'hasOwnProperty', '$where', '', ' ', '\u0000', 'a.b', '[0]', 'k'.repeat(10_000)];

export function randomJson(rng: Rng, depth: number): Json {
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

/** A random value of a type the field does not take (`hasType` says which values have its type). */
export function randomJsonExcept(rng: Rng, hasType: (value: Json) => boolean): Json {
  for (;;) {
    const value = randomJson(rng, 3);
    if (!hasType(value)) return value;
  }
}

export const isString = (value: Json): boolean => typeof value === 'string';

/** Values of every type but string: wrong for any string field. */
export const WRONG_TYPES: readonly Json[] = [
  null, 0, -1, 1.5, 1e308, true, false, [], [CANARY], ['a', 'b'], {}, { $ne: null }, { $gt: '' }, { toString: CANARY },
  { length: 5 }, [[[[[]]]]], 123456789012, -0,
];

/** Strings that fields of an API rarely accept as they are: empty, huge, control characters, injections, odd Unicode. */
export const GENERIC_STRINGS: readonly string[] = [
  '', ' ', HUGE, `\u0000${CANARY}`, `a\u0007b${CANARY}`, `\u001b[31m${CANARY}`, `${CANARY}\u202e`, `\u200b${CANARY}`, `line\nbreak${CANARY}`,
  `\ufeff${CANARY}`, `${CANARY}\u2028`, `\ud800${CANARY}`, `\udfff\ud800`, '🔥💉', 'null', 'undefined', 'true', '123', '-1', '1e309', 'NaN',
  `' OR '1'='1' --${CANARY}`, `"; DROP TABLE app_user; --${CANARY}`, `<script>alert(1)</script>${CANARY}`, `../../../etc/passwd${CANARY}`,
  `\${jndi:ldap://x/${CANARY}}`, '{{7*7}}', '__proto__', 'constructor', 'prototype', `%00${CANARY}`, '\\u0000', 'Ω≈ç√∫˜µ≤≥÷',
  'ﷺ'.repeat(300), 'A\u0301'.repeat(150), 'İ'.repeat(300), `مرحبا${CANARY}`, '\uffff', 'x'.repeat(201), '\t',
];
export const CONTROL_STRINGS = GENERIC_STRINGS.filter((text) => CONTROL_CHARACTERS.some((c) => text.includes(c)));

export const MALFORMED_JSON: readonly string[] = [
  '{', '}', 'not json', '{"a":}', "{'a':1}", '[1,2', 'nul', '\u0000', '{"email":"x"} trailing', '{"a":1,}', '{"a":"\\u12"}',
  '{"a":NaN}', '{"a":Infinity}', '0x10', ' ', '{"a":"\u0000', `{"${CANARY}":`, '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":1}{"b":2}', '\u0000{}', '{"a":"\ud800"', '["unterminated',
];

/** Valid JSON nested far deeper than any DTO, in a body of a few kilobytes. */
export const DEEP_NESTING = 5_000;

export interface Probe {
  label: string;
  method: Method;
  url: string;
  /** Raw text (sent as given) or a JSON value (serialised). */
  body?: { raw: string } | { json: Json } | { bytes: Buffer };
  contentType?: string;
  authorization?: string;
  headers?: Record<string, string>;
}

export interface Raw {
  status: number;
  contentType: string;
  text: string;
}

/** Where probes go: a TestApi, or a Fastify-based Nest app of its own. */
export type ProbeTarget = TestApi | NestFastifyApplication;

const LEAKS: readonly RegExp[] = [
  /\bat\s+\S+\s+\([^)]*:\d+:\d+\)/, /\.(?:ts|js|mjs|cjs):\d+/, /node_modules/, /"stack"\s*:/,
  /\b(?:TypeError|RangeError|ReferenceError|QueryFailedError|EntityNotFound)\b/, /\bpostgres|\bduplicate key\b|\bviolates\b/i,
];

export async function send(target: ProbeTarget, probe: Probe): Promise<Raw> {
  const app = target instanceof TestApi ? target.app : target;
  const headers: Record<string, string> = { ...probe.headers };
  if (probe.authorization !== undefined) headers.authorization = probe.authorization;
  let payload: string | Buffer | undefined;
  if (probe.body) {
    payload = 'raw' in probe.body ? probe.body.raw : 'bytes' in probe.body ? probe.body.bytes : JSON.stringify(probe.body.json);
    headers['content-type'] = probe.contentType ?? 'application/json';
  }
  const response = await app.inject({ method: probe.method, url: probe.url, headers, remoteAddress: '10.9.8.7', ...(payload === undefined ? {} : { payload }) });
  return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), text: response.body };
}

export function describeProbe(probe: Probe, raw: Raw, problem: string): string {
  const body = !probe.body ? '' : 'raw' in probe.body ? probe.body.raw : 'bytes' in probe.body ? `<${probe.body.bytes.length} bytes>` : JSON.stringify(probe.body.json);
  return `${probe.label} [${probe.method} ${probe.url.slice(0, 120)} body=${body.slice(0, 120)}]: ${problem}: ${raw.status} ${raw.text.slice(0, 300)}`;
}

/** What is wrong with an error answer (empty when it is a proper envelope without leaks). */
export function envelopeProblems(raw: Raw): string[] {
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

export const isClientError = (status: number): boolean => status >= 400 && status < 500;

/** Sends every probe; returns a line per answer that is not a proper 4xx (or not the expected status). */
export async function refusals(target: ProbeTarget, probes: readonly Probe[], expected: (status: number) => boolean = isClientError): Promise<string[]> {
  const failures: string[] = [];
  for (const probe of probes) {
    const raw = await send(target, probe);
    if (!expected(raw.status)) failures.push(describeProbe(probe, raw, 'unexpected status'));
    if (raw.status >= 400) for (const problem of envelopeProblems(raw)) failures.push(describeProbe(probe, raw, problem));
  }
  return failures;
}

/** How one field of a body is fuzzed. */
export interface BodyField {
  required: boolean;
  /** Values besides invalidStrings that the field refuses: other types, and for numbers and lists out-of-range or malformed ones. */
  refusedValues: readonly Json[];
  /** Whether a value has a type the field takes: random wrong-typed values are drawn until one has not. */
  hasType: (value: Json) => boolean;
  /** Strings the field refuses (or that the route refuses with the rest of a valid body). */
  invalidStrings: readonly string[];
  /** How many of invalidStrings to try, picked at random; all of them when absent. */
  stringSample?: number;
  /** A fresh random string the field refuses. */
  randomInvalidString: (rng: Rng) => string;
}

/** A string field: every value of another type is wrong. */
export function stringField(required: boolean, invalidStrings: readonly string[], randomInvalidString: (rng: Rng) => string, stringSample?: number): BodyField {
  return { required, refusedValues: WRONG_TYPES, hasType: isString, invalidStrings, randomInvalidString, ...(stringSample === undefined ? {} : { stringSample }) };
}

export interface BodyRoute {
  name: string;
  method: Method;
  url: () => string;
  token?: () => string;
  /** A body the route would accept (or refuse only for its values), made fresh for each probe. */
  base: () => JsonObject;
  /** The body's fields; the first one also gets a deeply nested array. */
  fields: Record<string, BodyField>;
  /** Caps the strings tried per field on routes where each well-typed probe is costly; such routes get half the random cases. */
  stringSample?: number;
  /** Extra request headers (valid ones), sent with every probe. */
  headers?: () => Record<string, string>;
}

const EXTRA_FIELDS: readonly [string, Json][] = [
  ['isAdmin', true], ['tenantId', '00000000-0000-0000-0000-000000000001'], ['id', '00000000-0000-0000-0000-000000000002'], ['passwordHash', '$argon2id$x'],
  ['constructor', CANARY], ['prototype', {}], ['hasOwnProperty', 1], ['toString', 1], ['valueOf', 1], ['', 1], ['\u0000', 1], ['k'.repeat(10_000), 1],
  ['createdAt', '1970-01-01T00:00:00Z'], ['sessionId', '00000000-0000-0000-0000-000000000003'], ['nested', { deep: { deeper: [CANARY] } }],
];

/** Texts that splice a key into an otherwise valid body: prototype pollution attempts JSON.stringify cannot express. */
export function splicedBodies(base: JsonObject): string[] {
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

export const REFUSED_CONTENT_TYPES: readonly string[] = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx'];

/** Every way to break a body: wrong types, refused strings, missing and extra fields, spliced keys, bad JSON and encodings, random mutations. */
export function bodyProbes(route: BodyRoute, rng: Rng): Probe[] {
  const probes: Probe[] = [];
  const token = route.token?.();
  const authorization = token ? `Bearer ${token}` : undefined;
  const probe = (label: string, body: Probe['body'], contentType?: string): Probe => ({
    label: `${route.name}: ${label}`, method: route.method, url: route.url(), body, contentType, authorization, ...(route.headers ? { headers: route.headers() } : {}),
  });

  for (const [field, spec] of Object.entries(route.fields)) {
    for (const value of spec.refusedValues) probes.push(probe(`${field} = ${JSON.stringify(value)}`, { json: put(route.base(), field, value) }));
    const strings = spec.invalidStrings;
    for (const value of rng.sample(strings, route.stringSample ?? spec.stringSample ?? strings.length)) {
      probes.push(probe(`${field} = string(${value.length})`, { json: put(route.base(), field, value) }));
    }
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
  for (const contentType of REFUSED_CONTENT_TYPES) probes.push(probe(`content type ${contentType}`, { raw: JSON.stringify(route.base()) }, contentType));
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
        case 0: put(body, field, randomJsonExcept(rng, spec.hasType)); break;
        case 1: put(body, field, spec.randomInvalidString(rng)); break;
        case 2: put(body, rng.chance(0.5) ? rng.pick(HOSTILE_KEYS.filter((key) => !fieldNames.includes(key) && !(key in route.base()))) : `x-${randomUnicode(rng, 10)}`, randomJson(rng, 3)); break;
        default:
          if (spec.required) Reflect.deleteProperty(body, field);
          else put(body, field, randomJsonExcept(rng, spec.hasType));
      }
    }
    probes.push(probe(`random #${i}`, { json: body }));
  }
  return probes;
}

/** Malformed JSON (and an empty JSON body) on a route that takes no body. */
export function malformedBodyProbes(method: Method, url: string, authorization: string): Probe[] {
  return ['', ...MALFORMED_JSON].map((text): Probe => ({ label: `malformed ${JSON.stringify(text.slice(0, 20))}`, method, url, body: { raw: text }, authorization }));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Authorization headers that must all be refused: malformed, tampered, re-signed, unsigned and wrong-kind versions of a real access token. */
export function forgedAuthorizations(accessToken: string, refreshToken: string): string[] {
  const [header, payload, signature] = accessToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const otherTenant = { ...claims, tid: randomUUID(), tenantId: randomUUID(), sub: randomUUID() };
  const longer = { ...claims, exp: Number(claims.exp ?? 0) + 86_400 * 365, role: 'tenant_admin' };
  return [
    '', 'Bearer', 'Bearer ', `Bearer ${CANARY}`, 'Basic YWRtaW46YWRtaW4=', `Token ${accessToken}`, `Bearer ${accessToken}x`, `Bearer ${accessToken.slice(0, -4)}`,
    `Bearer ${base64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`, `Bearer ${base64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.${signature}`,
    `Bearer ${base64url({ alg: 'HS256', typ: 'at+jwt' })}.${payload}.${signature}`, `Bearer ${header}.${base64url(longer)}.${signature}`,
    `Bearer ${header}.${base64url(otherTenant)}.${signature}`, `Bearer ${header}.${payload}`, `Bearer ${header}..${signature}`,
    `Bearer ${'a'.repeat(12_000)}`, 'Bearer a.b.c', 'Bearer ..', `Bearer ${refreshToken}`, `Bearer ${base64url({ alg: 'ES256', kid: '../../etc/passwd' })}.${payload}.${signature}`,
    `Bearer ${base64url({ alg: 'ES256', jku: 'http://evil.test/jwks', kid: 'x' })}.${payload}.${signature}`,
  ];
}

/** Path segments where a UUID belongs: malformed ones (400), and well-formed ones of nothing (404). */
export const BAD_IDS: readonly string[] = [
  'not-a-uuid', '1', '-1', '0', 'null', 'undefined', '__proto__', 'constructor', 'prototype', encodeURIComponent(`' OR 1=1 --${CANARY}`), '%00',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F..%2F', encodeURIComponent(HUGE), `${randomUUID()}x`, randomUUID().replaceAll('-', ''), `%7B${randomUUID()}%7D`,
  randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '%E0%A4%A', '%', '%ZZ', encodeURIComponent('\u0000'),
  encodeURIComponent(`🔥${CANARY}`), `${randomUUID()}%20`, `${randomUUID()};drop`, `${randomUUID()}/extra`, encodeURIComponent(`${randomUUID()}\n`), 'g'.repeat(36),
  `${randomUUID().slice(0, 35)}`, `%ED%A0%80${CANARY}`,
];

/** encodeURIComponent, except that a lone surrogate goes out as its (invalid) WTF-8 bytes instead of throwing. */
export function encodeQuery(value: string): string {
  let encoded = '';
  for (const character of value) {
    const point = character.codePointAt(0) ?? 0;
    encoded += point >= 0xd800 && point <= 0xdfff
      ? [0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')
      : encodeURIComponent(character);
  }
  return encoded;
}

/** `name=value` queries a numeric parameter of `min` to `max` refuses. */
/** Numbers written oddly: every numeric query parameter is strict decimal digits, so each is a 400. */
const ODDLY_WRITTEN_NUMBERS: readonly string[] = ['1e2', ' 5', '0x10', '0b11', '5 ', '007', '+5', '5.0', '１'];

export function badNumberQueries(name: string, min: number, max: number): string[] {
  return [String(min - 1), String(max + 1), '-1', '1.5', 'abc', 'NaN', 'Infinity', '-Infinity', '', '1e309', '99999999999999999999', 'true', 'null', '[]', '%00', ' ', '1,2', '\u0000',
    ...ODDLY_WRITTEN_NUMBERS]
    .filter((value, index, values) => values.indexOf(value) === index)
    .map((value) => `${name}=${encodeQuery(value)}`);
}

/** `limit=` values a 1-to-`max` page size refuses. */
export function badLimitQueries(max: number): string[] {
  return badNumberQueries('limit', 1, max);
}



/** Query keys that try to reach prototypes, privileges or the parser's limits. */
export const POLLUTING_QUERIES: readonly string[] = [
  '__proto__=x', '__proto__[isAdmin]=1', 'constructor=x', 'constructor[prototype][isAdmin]=1', 'isAdmin=true', `tenantId=${randomUUID()}`,
  'hasOwnProperty=1', 'toString=1', `${'k'.repeat(5_000)}=1`,
];

/** Own property names of Object.prototype, to compare before and after a fuzz run. */
export function prototypeNames(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** Signs that a fuzz run polluted a prototype (empty when none). */
export function pollution(namesBefore: readonly string[]): string[] {
  const problems: string[] = [];
  const namesNow = prototypeNames();
  if (JSON.stringify(namesNow) !== JSON.stringify(namesBefore)) problems.push(`Object.prototype names changed: ${namesNow.filter((name) => !namesBefore.includes(name)).join(', ')}`);
  const blank: Record<string, unknown> = {};
  for (const key of ['isAdmin', 'role', 'polluted', 'tenantId']) if (blank[key] !== undefined) problems.push(`a blank object has ${key}`);
  return problems;
}
