import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { signLink } from '../../../src/modules/attachments/signed-links';
import { ErrorCode } from '../../../src/platform/errors';
import { asOwner } from '../../support/fixtures';
import { TestApi } from '../../support/identity';
import { testEnvironment } from '../../support/test-environment';
import {
  canary, Clinic, clinic, complete, createAttachment, created, CreatedUpload, dicom, download, expectError, expectStatus, group, pdf, Person, png,
} from './attachment-fixtures';

const PUBLIC_BASE_URL = 'https://api.clinic.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let api: TestApi;
let north: Clinic;
let south: Clinic;
/** Owner and member of `ward`; `outsider` is in the same tenant but not in it. */
let owner: Person;
let member: Person;
let outsider: Person;
let ward: string;
let southWard: string;

const objectsRoot = (): string => join(testEnvironment().dataDir, 'objects', 'objects');

interface RawAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
  code?: string;
}

/** Sends to a link the service signed, as a client would (the origin is this app). */
async function send(method: 'PUT' | 'GET', url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const target = new URL(url);
  const response = await api.app.inject({ method, url: `${target.pathname}${target.search}`, headers, ...(body ? { payload: body } : {}) });
  const json = String(response.headers['content-type'] ?? '').includes('json') ? (JSON.parse(response.body) as { error?: { code?: string } }) : undefined;
  return { status: response.statusCode, headers: response.headers, body: response.rawPayload, code: json?.error?.code };
}

async function upload(created: CreatedUpload, file: Buffer): Promise<RawAnswer> {
  return send('PUT', created.upload.url, file, created.upload.headers);
}

async function uploaded(person: Person, conversationId: string, file: Buffer, contentType: string, fileName = 'scan.png'): Promise<CreatedUpload> {
  const attachment = await created(api, person, conversationId, file, contentType, fileName);
  expect((await upload(attachment, file)).status).toBe(200);
  return attachment;
}

async function ready(person: Person, conversationId: string, file: Buffer, contentType: string, fileName = 'scan.png'): Promise<string> {
  const attachment = await uploaded(person, conversationId, file, contentType, fileName);
  expectStatus(await complete(api, person, attachment.id), 200);
  return attachment.id;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const objectPath = (tenantId: string, id: string): string => join(objectsRoot(), tenantId, 'attachments', id);

async function statusOf(id: string): Promise<string> {
  const { rows } = await asOwner((db) => db.query<{ status: string }>('SELECT status FROM attachment WHERE id = $1', [id]));
  return rows[0].status;
}

beforeAll(async () => {
  api = await TestApi.start({ PUBLIC_BASE_URL });
  north = await clinic(api, 3);
  south = await clinic(api, 1);
  [owner, member, outsider] = north.members;
  ward = await group(api, owner, [member]);
  southWard = await group(api, south.members[0], [south.admin]);
});
afterAll(async () => {
  await api.close();
});

describe('the whole journey with the embedded store', () => {
  it('creates, takes the bytes through a signed link, completes, and serves the same bytes back', async () => {
    const file = png(64);
    const before = Date.now();
    const answer = await createAttachment(api, owner, { conversationId: ward, fileName: 'chest x-ray.png', contentType: 'image/png', size: file.length });
    expect(answer.status).toBe(201);
    const attachment = answer.body as unknown as CreatedUpload;
    expect(Object.keys(attachment).sort()).toEqual(['expiresAt', 'id', 'upload']);
    expect(attachment.id).toMatch(UUID);
    expect(attachment.upload.method).toBe('PUT');
    expect(attachment.upload.headers).toEqual({ 'content-type': 'image/png', 'content-length': String(file.length) });
    const url = new URL(attachment.upload.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_BASE_URL}/v1/attachments/${attachment.id}/content`);
    expect(url.searchParams.get('tenant')).toBe(north.tenant.tenantId);
    expect(url.searchParams.get('size')).toBe(String(file.length));
    const expiresAt = new Date(attachment.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThan(before);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);

    expect(await upload(attachment, file)).toMatchObject({ status: 200 });
    const completed = await complete(api, owner, attachment.id);
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual({ id: attachment.id, status: 'ready' });
    // Completing again answers the same.
    expect((await complete(api, owner, attachment.id)).body).toEqual({ id: attachment.id, status: 'ready' });

    // Any member of the conversation may download.
    const link = expectStatus(await download(api, member, attachment.id), 200).body as { url: string; expiresAt: string };
    expect(Object.keys(link).sort()).toEqual(['expiresAt', 'url']);
    expect(new Date(link.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    expect(link.url.startsWith(`${PUBLIC_BASE_URL}/v1/attachments/${attachment.id}/content?`)).toBe(true);
    const content = await send('GET', link.url);
    expect(content.status).toBe(200);
    expect(content.body).toEqual(file);
    expect(content.headers['content-type']).toBe('image/png');
    expect(content.headers['content-disposition']).toBe('attachment');
    expect(content.headers['cache-control']).toBe('no-store');
  });

  it('takes a body of any content type, larger than the global body limit, up to the declared size', async () => {
    // 3 MB, three times BODY_LIMIT_BYTES: the upload route's limit is the declared size.
    const file = png(3 * 1024 * 1024);
    const id = await ready(owner, ward, file, 'image/png');
    const link = expectStatus(await download(api, owner, id), 200).body as { url: string };
    expect((await send('GET', link.url)).body.equals(file)).toBe(true);

    // text/plain and JSON have parsers of their own elsewhere; here the bytes arrive untouched.
    const text = Buffer.from('Temp 38.2 °C at 02:00\nGiven paracetamol 1 g\n', 'utf8');
    const note = await created(api, owner, ward, text, 'text/plain; charset=utf-8', 'obs.txt');
    expect((await upload(note, text)).status).toBe(200);
    expect((await complete(api, owner, note.id)).body).toEqual({ id: note.id, status: 'ready' });
    const noteLink = expectStatus(await download(api, member, note.id), 200).body as { url: string };
    const served = await send('GET', noteLink.url);
    expect(served.body).toEqual(text);
    expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('keeps bytes sealed on disk, and the file name out of the database and the object key', async () => {
    const fileCanary = canary();
    const nameCanary = canary();
    const text = Buffer.from(`Patient note ${fileCanary}\n`, 'utf8');
    const attachment = await uploaded(owner, ward, text, 'text/plain', `${nameCanary}.txt`);
    expectStatus(await complete(api, owner, attachment.id), 200);

    const stored = objectPath(north.tenant.tenantId, attachment.id);
    expect(existsSync(stored)).toBe(true);
    for (const path of filesUnder(objectsRoot())) {
      const bytes = readFileSync(path);
      expect(bytes.includes(fileCanary)).toBe(false);
      expect(bytes.includes(nameCanary)).toBe(false);
    }
    expect(readFileSync(stored).includes(text)).toBe(false);

    const { rows } = await asOwner((db) => db.query<{ dump: string; name: string; object_key: string }>(
      `SELECT a::text AS dump, encode(file_name_sealed, 'escape') AS name, object_key FROM attachment a WHERE id = $1`, [attachment.id]));
    expect(rows).toHaveLength(1);
    expect(rows[0].dump).not.toContain(nameCanary);
    expect(rows[0].name).not.toContain(nameCanary);
    expect(rows[0].object_key).toBe(`${north.tenant.tenantId}/attachments/${attachment.id}`);
    const audit = await asOwner((db) => db.query<{ dump: string }>(`SELECT string_agg(e::text, '') AS dump FROM audit_event e WHERE tenant_id = $1`, [north.tenant.tenantId]));
    expect(audit.rows[0].dump).not.toContain(nameCanary);
    expect(audit.rows[0].dump).not.toContain(fileCanary);
  });
});

describe('the audit trail', () => {
  interface AuditRow {
    action: string;
    actor_type: string;
    actor_id: string | null;
    resource_type: string | null;
    resource_id: string | null;
    outcome: string;
    details: Record<string, unknown>;
  }

  async function eventsOf(tenantId: string, where: string, params: unknown[]): Promise<AuditRow[]> {
    const { rows } = await asOwner((db) => db.query<AuditRow>(
      `SELECT action, actor_type, actor_id, resource_type, resource_id, outcome, details FROM audit_event WHERE tenant_id = $1 AND ${where} ORDER BY occurred_at, id`,
      [tenantId, ...params]));
    return rows;
  }

  it('records creation, the upload, completion and every download as a read of that attachment', async () => {
    const tenantId = north.tenant.tenantId;
    const file = png(12);
    const attachment = await uploaded(owner, ward, file, 'image/png');
    expectStatus(await complete(api, owner, attachment.id), 200);
    const link = expectStatus(await download(api, member, attachment.id), 200).body as { url: string };
    expect((await send('GET', link.url)).status).toBe(200);

    const writes = await eventsOf(tenantId, 'resource_id = $2', [attachment.id]);
    expect(writes.map((event) => event.action)).toEqual(expect.arrayContaining(['attachment.create', 'attachment.complete', 'attachment.download']));
    const read = writes.find((event) => event.action === 'attachment.download');
    expect(read).toMatchObject({ actor_type: 'user', actor_id: member.id, resource_type: 'attachment', outcome: 'success' });
    expect(read?.details).toMatchObject({ 'read.attachment.ids': [attachment.id] });

    const transfers = await eventsOf(tenantId, `details->>'attachmentId' = $2`, [attachment.id]);
    expect(transfers.map((event) => [event.action, event.actor_type, event.outcome])).toEqual([
      ['attachment.upload', 'anonymous', 'success'],
      ['attachment.download_content', 'anonymous', 'success'],
    ]);
  });
});

describe('type checks on completion', () => {
  it.each([
    ['a PDF', pdf(), 'application/pdf'],
    ['a DICOM study', dicom(), 'application/dicom'],
  ])('refuses %s declared image/png as scan.png, and deletes it', async (_label, file, detectedType) => {
    const attachment = await uploaded(owner, ward, file, 'image/png', 'scan.png');
    expect(existsSync(objectPath(north.tenant.tenantId, attachment.id))).toBe(true);

    const details = expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
    expect(details).toMatchObject({ declaredType: 'image/png', detectedType });
    expect(existsSync(objectPath(north.tenant.tenantId, attachment.id))).toBe(false);
    expect(await statusOf(attachment.id)).toBe('rejected');
    // Asked again, the same answer; and nothing to download.
    expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
    expectError(await download(api, owner, attachment.id), 404, ErrorCode.NOT_FOUND);
  });

  it.each([
    ['a PDF', pdf(), 'application/pdf', 'discharge.pdf'],
    ['a DICOM study', dicom(), 'application/dicom', 'ct-head.dcm'],
    ['a PNG', png(), 'image/png', 'scan.png'],
    ['a PNG declared as another image type', png(), 'image/jpeg', 'photo.jpg'],
  ])('accepts %s declared as its own family', async (_label, file, contentType, fileName) => {
    const attachment = await uploaded(owner, ward, file, contentType, fileName);
    expect((await complete(api, owner, attachment.id)).body).toEqual({ id: attachment.id, status: 'ready' });
    expect(await statusOf(attachment.id)).toBe('ready');
  });

  it.each([
    ['bytes that are not UTF-8', Buffer.from([0x48, 0x69, 0xff, 0xfe, 0x0a])],
    ['a NUL byte', Buffer.from('Hi\u0000there', 'utf8')],
    ['a PNG', png()],
  ])('refuses text/plain holding %s', async (_label, file) => {
    const attachment = await uploaded(owner, ward, file, 'text/plain', 'note.txt');
    expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
    expect(existsSync(objectPath(north.tenant.tenantId, attachment.id))).toBe(false);
  });

  it('refuses an image/png that is text', async () => {
    const attachment = await uploaded(owner, ward, Buffer.from('just words'), 'image/png');
    const details = expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
    expect(details.detectedType).toBeNull();
  });

  it('refuses at creation a declared type no file could pass as', async () => {
    for (const contentType of ['application/zip', 'image/svg+xml', 'text/html', 'application/json']) {
      const answer = await createAttachment(api, owner, { conversationId: ward, fileName: 'x.bin', contentType, size: 10 });
      expectError(answer, 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
    }
  });
});

describe('uploads that are missing, short, long or late', () => {
  it('answers ATTACHMENT_NOT_UPLOADED before the upload, and for a body shorter than declared', async () => {
    const file = png(100);
    const attachment = await created(api, owner, ward, file, 'image/png');
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED)).toMatchObject({ reason: 'missing' });

    const short = file.subarray(0, file.length - 10);
    expect((await send('PUT', attachment.upload.url, short, { 'content-type': 'image/png' })).status).toBe(200);
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED))
      .toEqual({ reason: 'size_mismatch', declaredSize: file.length, storedSize: short.length });
    // The link still works until it expires: the right bytes complete it.
    expect((await upload(attachment, file)).status).toBe(200);
    expect((await complete(api, owner, attachment.id)).status).toBe(200);
    // A ready attachment cannot be overwritten through its old link.
    expect((await upload(attachment, png(100))).status).toBe(404);
  });

  it('refuses a body longer than declared with 413, announced or not', async () => {
    const file = png(10);
    const attachment = await created(api, owner, ward, file, 'image/png');
    const longer = Buffer.concat([file, Buffer.alloc(100)]);
    const announced = await send('PUT', attachment.upload.url, longer, { 'content-type': 'image/png' });
    expect({ status: announced.status, code: announced.code }).toEqual({ status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE });
    const unannounced = await send('PUT', attachment.upload.url, longer, { 'content-type': 'image/png', 'content-length': String(file.length) });
    expect(unannounced.status).toBe(413);
    expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED);
  });

  it('rejects an upload whose link expired before the bytes arrived', async () => {
    const attachment = await created(api, owner, ward, png(), 'image/png');
    await asOwner((db) => db.query(`UPDATE attachment SET upload_expires_at = now() - interval '1 second' WHERE id = $1`, [attachment.id]));
    expect((await upload(attachment, png())).status).toBe(404);
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED)).toMatchObject({ reason: 'expired' });
    expect(await statusOf(attachment.id)).toBe('rejected');
    expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED);
  });
});

describe('the tenant maximum', () => {
  it('is 100 MB by default', async () => {
    const base = { conversationId: ward, fileName: 'big.dcm', contentType: 'application/dicom' };
    expect((await createAttachment(api, owner, { ...base, size: 104_857_600 })).status).toBe(201);
    expect(expectError(await createAttachment(api, owner, { ...base, size: 104_857_601 }), 422, ErrorCode.ATTACHMENT_TOO_LARGE)).toEqual({ maxBytes: 104_857_600 });
  });

  it('follows the tenant setting maxAttachmentBytes', async () => {
    const small = await clinic(api, 1, { maxAttachmentBytes: 1000 });
    const room = await group(api, small.members[0], [small.admin]);
    const base = { conversationId: room, fileName: 'x.png', contentType: 'image/png' };
    expect(expectError(await createAttachment(api, small.members[0], { ...base, size: 1001 }), 422, ErrorCode.ATTACHMENT_TOO_LARGE)).toEqual({ maxBytes: 1000 });
    expect((await createAttachment(api, small.members[0], { ...base, size: 1000 })).status).toBe(201);
  });
});

describe('signed links', () => {
  let attachment: CreatedUpload;
  const file = png(20);

  beforeAll(async () => {
    attachment = await created(api, owner, ward, file, 'image/png');
  });

  function tampered(url: string, change: (query: URLSearchParams) => void): string {
    const target = new URL(url);
    change(target.searchParams);
    return target.toString();
  }

  it.each<[string, (query: URLSearchParams) => void]>([
    ['a changed signature', (query) => query.set('signature', `${(query.get('signature') ?? '').slice(0, -2)}AA`)],
    ['a changed size', (query) => query.set('size', String(file.length + 1))],
    ['a later expiry', (query) => query.set('expires', String(Number(query.get('expires')) + 3600))],
    ['another tenant', (query) => query.set('tenant', south.tenant.tenantId)],
    ['an unknown tenant', (query) => query.set('tenant', randomUUID())],
    ['a malformed tenant', (query) => query.set('tenant', 'not-a-uuid')],
    ['no signature', (query) => query.delete('signature')],
    ['an extra parameter', (query) => query.set('fileName', 'x')],
  ])('refuses an upload link with %s (403, before reading the body)', async (_label, change) => {
    const answer = await send('PUT', tampered(attachment.upload.url, change), file, attachment.upload.headers);
    expect({ status: answer.status, code: answer.code }).toEqual({ status: 403, code: ErrorCode.FORBIDDEN });
  });

  it('refuses a link for another attachment id', async () => {
    const other = new URL(attachment.upload.url);
    other.pathname = `/v1/attachments/${randomUUID()}/content`;
    expect((await send('PUT', other.toString(), file, attachment.upload.headers)).status).toBe(403);
    other.pathname = '/v1/attachments/not-a-uuid/content';
    expect((await send('PUT', other.toString(), file, attachment.upload.headers)).status).toBe(403);
  });

  it('refuses an expired link with a valid signature', async () => {
    const tenantId = north.tenant.tenantId;
    const indexKey = await api.platform.keys.current(tenantId, 'index');
    const expires = Math.floor(Date.now() / 1000) - 5;
    const claims = { method: 'PUT' as const, tenantId, attachmentId: attachment.id, size: file.length, expires };
    const url = `/v1/attachments/${attachment.id}/content?tenant=${tenantId}&expires=${expires}&size=${file.length}&signature=${signLink(indexKey.key, claims)}`;
    const answer = await send('PUT', `http://localhost${url}`, file, attachment.upload.headers);
    expect({ status: answer.status, code: answer.code }).toEqual({ status: 403, code: ErrorCode.FORBIDDEN });
    // The same claims, still valid, are accepted: only the expiry made the difference.
    const fresh = { ...claims, expires: expires + 600 };
    const valid = `/v1/attachments/${attachment.id}/content?tenant=${tenantId}&expires=${fresh.expires}&size=${file.length}&signature=${signLink(indexKey.key, fresh)}`;
    expect((await send('PUT', `http://localhost${valid}`, file, attachment.upload.headers)).status).toBe(200);
  });

  it('binds the method: an upload link does not download, a download link does not upload', async () => {
    const id = await ready(owner, ward, png(5), 'image/png');
    const link = (expectStatus(await download(api, owner, id), 200).body as { url: string }).url;
    expect((await send('PUT', link, png(5), { 'content-type': 'image/png' })).status).toBe(403);
    const { upload: uploadLink } = await created(api, owner, ward, png(5), 'image/png');
    expect((await send('GET', uploadLink.url)).status).toBe(403);
  });

  it('refuses a tampered or expired download link, never with a 500', async () => {
    const id = await ready(owner, ward, png(7), 'image/png');
    const link = (expectStatus(await download(api, owner, id), 200).body as { url: string }).url;
    for (const bad of [
      tampered(link, (query) => query.set('signature', 'A'.repeat(43))),
      tampered(link, (query) => query.set('expires', '1')),
      tampered(link, (query) => query.set('signature', '%%%')),
      tampered(link, (query) => query.set('expires', '99999999999999999999999')),
    ]) {
      const answer = await send('GET', bad);
      expect({ status: answer.status, code: answer.code }).toEqual({ status: 403, code: ErrorCode.FORBIDDEN });
    }
  });

  it('serves nothing once the attachment is no longer ready', async () => {
    const id = await ready(owner, ward, png(9), 'image/png');
    const link = (expectStatus(await download(api, owner, id), 200).body as { url: string }).url;
    await asOwner((db) => db.query(`UPDATE attachment SET status = 'deleted' WHERE id = $1`, [id]));
    expect((await send('GET', link)).status).toBe(404);
  });
});

describe('who may reach an attachment', () => {
  it('answers 404 to a non-member on create, complete and download', async () => {
    const file = png();
    expectError(await createAttachment(api, outsider, { conversationId: ward, fileName: 'a.png', contentType: 'image/png', size: file.length }), 404, ErrorCode.NOT_FOUND);
    const attachment = await uploaded(owner, ward, file, 'image/png');
    expectError(await complete(api, outsider, attachment.id), 404, ErrorCode.NOT_FOUND);
    expectStatus(await complete(api, owner, attachment.id), 200);
    expectError(await download(api, outsider, attachment.id), 404, ErrorCode.NOT_FOUND);
  });

  it('answers 404 for another tenant\'s conversation and attachments', async () => {
    const file = png();
    const southMember = south.members[0];
    expectError(await createAttachment(api, owner, { conversationId: southWard, fileName: 'a.png', contentType: 'image/png', size: file.length }), 404, ErrorCode.NOT_FOUND);
    const theirs = await uploaded(southMember, southWard, file, 'image/png');
    expectError(await complete(api, owner, theirs.id), 404, ErrorCode.NOT_FOUND);
    expectStatus(await complete(api, southMember, theirs.id), 200);
    expectError(await download(api, owner, theirs.id), 404, ErrorCode.NOT_FOUND);
    // And the same for ids that exist nowhere.
    expectError(await complete(api, owner, randomUUID()), 404, ErrorCode.NOT_FOUND);
    expectError(await download(api, owner, randomUUID()), 404, ErrorCode.NOT_FOUND);
  });

  it('lets only the uploader complete, and any member download only once ready', async () => {
    const attachment = await uploaded(owner, ward, png(), 'image/png');
    expectError(await download(api, member, attachment.id), 404, ErrorCode.NOT_FOUND);
    expectError(await complete(api, member, attachment.id), 404, ErrorCode.NOT_FOUND);
    expectStatus(await complete(api, owner, attachment.id), 200);
    expectStatus(await download(api, member, attachment.id), 200);
  });

  it('needs a bearer token holding messaging.use', async () => {
    const attachment = await created(api, owner, ward, png(), 'image/png');
    expect((await api.call('POST', '/v1/attachments', { conversationId: ward, fileName: 'a.png', contentType: 'image/png', size: 10 })).status).toBe(401);
    expect((await api.call('POST', `/v1/attachments/${attachment.id}/complete`)).status).toBe(401);
    expect((await api.call('GET', `/v1/attachments/${attachment.id}/download`)).status).toBe(401);
  });
});

describe('validation', () => {
  const valid = (): Record<string, unknown> => ({ conversationId: ward, fileName: 'scan.png', contentType: 'image/png', size: 100 });

  it.each<[string, Record<string, unknown>]>([
    ['no conversationId', { conversationId: undefined }],
    ['a malformed conversationId', { conversationId: 'ward-4' }],
    ['an empty fileName', { fileName: '' }],
    ['a 256-character fileName', { fileName: `${'a'.repeat(252)}.png` }],
    ['a fileName with a newline', { fileName: 'scan\n.png' }],
    ['a fileName with a control character', { fileName: 'scan\u0007.png' }],
    ['a fileName with a bidi override', { fileName: 'scan\u202egnp.exe' }],
    ['a fileName that is not a string', { fileName: 42 }],
    ['a contentType that is not a MIME type', { contentType: 'png' }],
    ['a contentType over 255 characters', { contentType: `image/${'x'.repeat(250)}` }],
    ['a zero size', { size: 0 }],
    ['a negative size', { size: -5 }],
    ['a fractional size', { size: 1.5 }],
    ['a size given as a string', { size: '100' }],
    ['a size beyond integers', { size: 1e300 }],
    ['a null size', { size: null }],
    ['an unknown field', { folder: 'x' }],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_label, change) => {
    const answer = await createAttachment(api, owner, { ...valid(), ...change });
    expectError(answer, 400, ErrorCode.VALIDATION_FAILED);
  });

  it('accepts a 255-character file name with any printable script', async () => {
    const fileName = `${'é'.repeat(100)}${'名'.repeat(100)}${'a'.repeat(51)}.png`;
    expect(fileName.length).toBe(255);
    expect((await createAttachment(api, owner, { ...valid(), fileName })).status).toBe(201);
  });

  it('refuses a malformed attachment id with 400, not 500', async () => {
    expect((await api.call('POST', '/v1/attachments/not-a-uuid/complete', undefined, { token: owner.token })).status).toBe(400);
    expect((await api.call('GET', '/v1/attachments/not-a-uuid/download', undefined, { token: owner.token })).status).toBe(400);
  });

  it('refuses a body that is not JSON', async () => {
    const answer = await api.app.inject({ method: 'POST', url: '/v1/attachments', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'image/png' }, payload: png() });
    expect(answer.statusCode).toBe(415);
  });
});
