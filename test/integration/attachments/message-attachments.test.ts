import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AttachmentsService } from '../../../src/modules/attachments/attachments.service';
import { AppError, ErrorCode } from '../../../src/platform/errors';
import { asOwner } from '../../support/fixtures';
import { TestApi } from '../../support/identity';
import { testEnvironment } from '../../support/test-environment';
import { Clinic, clinic, complete, created, dicom, download, expectError, expectStatus, group, pdf, Person, png } from './attachment-fixtures';

/** What the messages module relies on: attachToMessage, summariesFor and discardForMessage. */
let api: TestApi;
let service: AttachmentsService;
let north: Clinic;
let owner: Person;
let member: Person;
let ward: string;
let otherWard: string;
let tenantId: string;

async function ready(person: Person, conversationId: string, file: Buffer, contentType: string, fileName: string): Promise<string> {
  const attachment = await created(api, person, conversationId, file, contentType, fileName);
  const url = new URL(attachment.upload.url);
  const put = await api.app.inject({ method: 'PUT', url: `${url.pathname}${url.search}`, headers: attachment.upload.headers, payload: file });
  expect(put.statusCode).toBe(200);
  expectStatus(await complete(api, person, attachment.id), 200);
  return attachment.id;
}

async function message(person: Person, conversationId: string, body = 'See attached'): Promise<{ id: string; seq: number }> {
  const answer = expectStatus(await api.call('POST', `/v1/conversations/${conversationId}/messages`, { body }, { token: person.token }), 201);
  return { id: String(answer.body.id), seq: Number(answer.body.seq) };
}

function attach(conversationId: string, senderId: string, messageId: string, ids: readonly string[]): Promise<unknown> {
  return api.platform.transactions.run(tenantId, () => service.attachToMessage(tenantId, conversationId, senderId, messageId, ids));
}

async function rows(ids: readonly string[]): Promise<{ id: string; status: string; message_id: string | null }[]> {
  const result = await asOwner((db) => db.query<{ id: string; status: string; message_id: string | null }>(
    'SELECT id, status, message_id FROM attachment WHERE id = ANY($1) ORDER BY id', [ids]));
  return result.rows;
}

beforeAll(async () => {
  api = await TestApi.start();
  service = api.app.get(AttachmentsService);
  north = await clinic(api, 2);
  [owner, member] = north.members;
  tenantId = north.tenant.tenantId;
  ward = await group(api, owner, [member]);
  otherWard = await group(api, owner, [member]);
});
afterAll(async () => {
  await api.close();
});

describe('attachToMessage', () => {
  it('links ready uploads of the sender and returns their summaries in the order given', async () => {
    const scan = await ready(owner, ward, png(40), 'image/png', 'chest.png');
    const report = await ready(owner, ward, pdf(), 'application/pdf', 'radiology report.pdf');
    const { id: messageId } = await message(owner, ward);

    const summaries = await attach(ward, owner.id, messageId, [report, scan]);
    expect(summaries).toEqual([
      { id: report, fileName: 'radiology report.pdf', contentType: 'application/pdf', size: pdf().length },
      { id: scan, fileName: 'chest.png', contentType: 'image/png', size: png(40).length },
    ]);
    expect((await rows([scan, report])).every((row) => row.message_id === messageId)).toBe(true);

    const byMessage = await service.summariesFor(tenantId, [messageId]);
    expect(byMessage.get(messageId)?.map((summary) => summary.id).sort()).toEqual([report, scan].sort());
    // Linked once: never to a second message.
    const { id: second } = await message(owner, ward);
    await expect(attach(ward, owner.id, second, [scan])).rejects.toMatchObject({ code: ErrorCode.INVALID_ATTACHMENT });
  });

  it('answers nothing and writes nothing for no ids', async () => {
    const { id: messageId } = await message(owner, ward);
    await expect(attach(ward, owner.id, messageId, [])).resolves.toEqual([]);
  });

  it.each<[string, () => Promise<string>]>([
    ['a pending upload', async () => (await created(api, owner, ward, png(), 'image/png')).id],
    ['another member\'s upload', () => ready(member, ward, png(), 'image/png', 'theirs.png')],
    ['an upload to another conversation', () => ready(owner, otherWard, png(), 'image/png', 'elsewhere.png')],
    ['an unknown id', () => Promise.resolve(randomUUID())],
    ['a malformed id', () => Promise.resolve('not-a-uuid')],
  ])('refuses %s with INVALID_ATTACHMENT, and rolls back the links of the valid ones', async (_label, make) => {
    const valid = await ready(owner, ward, png(), 'image/png', 'ok.png');
    const invalid = await make();
    const { id: messageId } = await message(owner, ward);
    const failure = attach(ward, owner.id, messageId, [valid, invalid]);
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.INVALID_ATTACHMENT });
    expect((await rows([valid]))[0].message_id).toBeNull();
  });

  it('refuses the same id twice', async () => {
    const valid = await ready(owner, ward, png(), 'image/png', 'twice.png');
    const { id: messageId } = await message(owner, ward);
    await expect(attach(ward, owner.id, messageId, [valid, valid])).rejects.toMatchObject({ code: ErrorCode.INVALID_ATTACHMENT });
  });

  it('is what the send route uses: a message answers with its attachments, and a bad id fails the whole send', async () => {
    const scan = await ready(owner, ward, dicom(), 'application/dicom', 'ct.dcm');
    const sent = await api.call('POST', `/v1/conversations/${ward}/messages`, { body: 'CT attached', attachmentIds: [scan] }, { token: owner.token });
    expect(sent.status).toBe(201);
    expect(sent.body.attachments).toEqual([{ id: scan, fileName: 'ct.dcm', contentType: 'application/dicom', size: dicom().length }]);

    const pending = (await created(api, owner, ward, png(), 'image/png')).id;
    const refused = await api.call('POST', `/v1/conversations/${ward}/messages`, { body: 'Not yet', attachmentIds: [pending] }, { token: owner.token });
    expectError(refused, 422, ErrorCode.INVALID_ATTACHMENT);
  });
});

describe('summariesFor', () => {
  it('answers every message asked for in one map, empty for messages without attachments', async () => {
    const a = await ready(owner, ward, png(3), 'image/png', 'a.png');
    const b = await ready(owner, ward, png(4), 'image/png', 'b.png');
    const first = await message(owner, ward);
    const second = await message(owner, ward);
    const bare = await message(owner, ward);
    await attach(ward, owner.id, first.id, [a]);
    await attach(ward, owner.id, second.id, [b]);

    const summaries = await service.summariesFor(tenantId, [first.id, second.id, bare.id]);
    expect([...summaries.keys()].sort()).toEqual([first.id, second.id, bare.id].sort());
    expect(summaries.get(first.id)).toEqual([{ id: a, fileName: 'a.png', contentType: 'image/png', size: png(3).length }]);
    expect(summaries.get(second.id)).toEqual([{ id: b, fileName: 'b.png', contentType: 'image/png', size: png(4).length }]);
    expect(summaries.get(bare.id)).toEqual([]);
    expect(await service.summariesFor(tenantId, [])).toEqual(new Map());
  });
});

describe('discardForMessage', () => {
  it('deletes the objects, marks the rows deleted without their file names, and downloads answer 404', async () => {
    const scan = await ready(owner, ward, png(8), 'image/png', 'to-delete.png');
    const sent = await message(owner, ward);
    await attach(ward, owner.id, sent.id, [scan]);
    const objectPath = join(testEnvironment().dataDir, 'objects', 'objects', tenantId, 'attachments', scan);
    expect(existsSync(objectPath)).toBe(true);
    expectStatus(await download(api, member, scan), 200);

    await api.platform.transactions.run(tenantId, () => service.discardForMessage(tenantId, sent.id));
    expect(existsSync(objectPath)).toBe(false);
    expect((await rows([scan]))[0].status).toBe('deleted');
    expectError(await download(api, member, scan), 404, ErrorCode.NOT_FOUND);
    expect((await service.summariesFor(tenantId, [sent.id])).get(sent.id)).toEqual([]);
    // The file name went with the message: the sealed value now holds nothing.
    const sealed = await asOwner((db) => db.query<{ length: number }>('SELECT length(file_name_sealed) AS length FROM attachment WHERE id = $1', [scan]));
    expect(Number(sealed.rows[0].length)).toBe(1 + 4 + 12 + 16);
    // Discarding again is harmless.
    await service.discardForMessage(tenantId, sent.id);
  });

  it('runs when a message is deleted through the API', async () => {
    const scan = await ready(owner, ward, png(9), 'image/png', 'gone.png');
    const sent = expectStatus(await api.call('POST', `/v1/conversations/${ward}/messages`, { body: 'x', attachmentIds: [scan] }, { token: owner.token }), 201);
    expect([200, 204]).toContain((await api.call('DELETE', `/v1/conversations/${ward}/messages/${String(sent.body.seq)}`, undefined, { token: owner.token })).status);
    expect((await rows([scan]))[0].status).toBe('deleted');
    expectError(await download(api, owner, scan), 404, ErrorCode.NOT_FOUND);
  });
});
