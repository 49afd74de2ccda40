import { AttachmentsService } from '../../../src/modules/attachments/attachments.service';
import { ConversationAccess } from '../../../src/modules/conversations';
import { TenantLookup } from '../../../src/modules/tenants';
import { ErrorCode } from '../../../src/platform/errors';
import { asOwner } from '../../support/fixtures';
import { TestApi } from '../../support/identity';
import { RunningS3rver, startS3rver } from '../../support/s3rver';
import { canary, Clinic, clinic, complete, created, CreatedUpload, dicom, download, expectError, expectStatus, group, pdf, Person, png } from './attachment-fixtures';

/** The same journey against a real S3 protocol server (s3rver): presigned PUT and GET, straight from the client. */
const BUCKET = 'sealed-channels-attachments';

let s3rver: RunningS3rver;
let endpoint: string;
let api: TestApi;
let north: Clinic;
let owner: Person;
let member: Person;
let ward: string;
const savedCredentials = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

const objectKey = (id: string): string => `${north.tenant.tenantId}/attachments/${id}`;

async function put(attachment: CreatedUpload, body: Buffer, headers = attachment.upload.headers): Promise<number> {
  return (await fetch(attachment.upload.url, { method: attachment.upload.method, headers, body })).status;
}

beforeAll(async () => {
  s3rver = await startS3rver(BUCKET);
  endpoint = s3rver.endpoint;
  // The platform's S3 client takes its credentials from the default chain, as in production.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  api = await TestApi.start({ S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1' });
  north = await clinic(api, 2);
  [owner, member] = north.members;
  ward = await group(api, owner, [member]);
});
afterAll(async () => {
  await api.close();
  await s3rver.close();
  process.env.AWS_ACCESS_KEY_ID = savedCredentials.id;
  process.env.AWS_SECRET_ACCESS_KEY = savedCredentials.secret;
  if (savedCredentials.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (savedCredentials.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

describe('attachments on S3', () => {
  it('uploads with a presigned PUT carrying SSE-KMS, completes, and downloads with a presigned GET', async () => {
    expect(api.platform.objectStore.backend).toBe('s3');
    const nameCanary = canary();
    const file = png(256);
    const attachment = await created(api, owner, ward, file, 'image/png', `${nameCanary}.png`);
    const url = new URL(attachment.upload.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${endpoint}/${BUCKET}/${objectKey(attachment.id)}`);
    expect(attachment.upload.url).not.toContain(nameCanary);
    expect(attachment.upload.method).toBe('PUT');
    expect(attachment.upload.headers).toEqual({
      'content-type': 'image/png',
      'content-length': String(file.length),
      'x-amz-server-side-encryption': 'aws:kms',
    });
    // Every listed header is signed into the URL, so the client must send each exactly as given.
    const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
    expect(signed).toEqual(expect.arrayContaining(Object.keys(attachment.upload.headers)));
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(15 * 60);
    expect(new Date(attachment.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000);

    expect(await put(attachment, file)).toBe(200);
    expect((await complete(api, owner, attachment.id)).body).toEqual({ id: attachment.id, status: 'ready' });

    const link = expectStatus(await download(api, member, attachment.id), 200).body as { url: string; expiresAt: string };
    const downloadUrl = new URL(link.url);
    expect(`${downloadUrl.origin}${downloadUrl.pathname}`).toBe(`${endpoint}/${BUCKET}/${objectKey(attachment.id)}`);
    expect(Number(downloadUrl.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(5 * 60);
    expect(new Date(link.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    expect(link.url).not.toContain(nameCanary);
    const fetched = await fetch(link.url);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    expect(fetched.headers.get('content-disposition')).toBe('attachment');
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(file);

    const { rows } = await asOwner((db) => db.query<{ dump: string }>(`SELECT a::text AS dump FROM attachment a WHERE id = $1`, [attachment.id]));
    expect(rows[0].dump).not.toContain(nameCanary);
  });

  it.each([
    ['a PDF', pdf(), 'application/pdf'],
    ['a DICOM study', dicom(), 'application/dicom'],
  ])('refuses %s declared image/png as scan.png and deletes the object from the bucket', async (_label, file, detectedType) => {
    const attachment = await created(api, owner, ward, file, 'image/png', 'scan.png');
    expect(await put(attachment, file)).toBe(200);
    expect(await api.platform.objectStore.head(objectKey(attachment.id))).toEqual({ size: file.length });
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH)).toMatchObject({ detectedType });
    expect(await api.platform.objectStore.head(objectKey(attachment.id))).toBeNull();
    expectError(await download(api, owner, attachment.id), 404, ErrorCode.NOT_FOUND);
  });

  it('checks a large text file whole, a range at a time', async () => {
    const line = 'BP 120/80, HR 72, SpO2 98% — stable overnight.\n';
    const text = Buffer.from(line.repeat(Math.ceil((9 * 1024 * 1024) / Buffer.byteLength(line))), 'utf8');
    const attachment = await created(api, owner, ward, text, 'text/plain', 'obs.txt');
    expect(await put(attachment, text)).toBe(200);
    expect((await complete(api, owner, attachment.id)).body).toEqual({ id: attachment.id, status: 'ready' });

    // A single bad byte past the first ranges still fails it.
    const corrupt = Buffer.from(text);
    corrupt[corrupt.length - 3] = 0xff;
    const bad = await created(api, owner, ward, corrupt, 'text/plain', 'obs2.txt');
    expect(await put(bad, corrupt)).toBe(200);
    expectError(await complete(api, owner, bad.id), 422, ErrorCode.ATTACHMENT_TYPE_MISMATCH);
  });

  it('answers ATTACHMENT_NOT_UPLOADED before the upload and when the stored size differs', async () => {
    const file = dicom();
    const attachment = await created(api, owner, ward, file, 'application/dicom', 'ct.dcm');
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED)).toMatchObject({ reason: 'missing' });
    // Real S3 refuses a body of another length (content-length is signed); s3rver does not check, so the API must.
    const short = file.subarray(0, file.length - 4);
    expect(await put(attachment, short, { ...attachment.upload.headers, 'content-length': String(short.length) })).toBe(200);
    expect(expectError(await complete(api, owner, attachment.id), 422, ErrorCode.ATTACHMENT_NOT_UPLOADED))
      .toEqual({ reason: 'size_mismatch', declaredSize: file.length, storedSize: short.length });
  });

  it('serves no content route of its own: transfers go to S3', async () => {
    const attachment = await created(api, owner, ward, png(), 'image/png');
    const query = `tenant=${north.tenant.tenantId}&expires=${Math.floor(Date.now() / 1000) + 60}&size=10&signature=${'A'.repeat(43)}`;
    const upload = await api.app.inject({ method: 'PUT', url: `/v1/attachments/${attachment.id}/content?${query}`, headers: { 'content-type': 'image/png' }, payload: png() });
    expect(upload.statusCode).toBe(404);
    const content = await api.app.inject({ method: 'GET', url: `/v1/attachments/${attachment.id}/content?${query}` });
    expect(content.statusCode).toBe(404);
  });

  it('names the configured KMS key in the upload headers', async () => {
    const service = new AttachmentsService(api.platform.persistence, api.app.get(ConversationAccess), api.app.get(TenantLookup), api.platform.objectStore, { kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:alias/sealed-channels' });
    const principal = { userId: owner.id, tenantId: north.tenant.tenantId, role: 'member' as const, sessionId: 'test', tokenId: 'test', authenticationMethods: ['pwd'] };
    const attachment = await service.create(principal, { conversationId: ward, fileName: 'a.png', contentType: 'image/png', size: 10 });
    expect(attachment.upload.headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(attachment.upload.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('arn:aws:kms:us-east-1:111122223333:alias/sealed-channels');
    expect(new URL(attachment.upload.url).searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-server-side-encryption-aws-kms-key-id');
  });
});
