import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { errorCode, HttpAnswer, TestApi } from '../../support/identity';
import { expectStatus, Member, openGroup } from '../../support/messaging';

/** Real files, as small as their formats allow. */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG of width × 1 grey pixels; a wide one is a large file. */
export function png(width = 1): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(1, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  const scanline = Buffer.concat([Buffer.from([0]), Buffer.alloc(width, 0x80)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanline, { level: 0 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF with a correct cross-reference table. */
export function pdf(text = 'Discharge summary'): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>',
  ];
  const stream = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
  objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  let body = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

function dicomElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
  const head = Buffer.alloc(8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}

/** A DICOM Part 10 file: 128-byte preamble, "DICM", a file meta group and a patient name (the PHI inside). */
export function dicom(patientName = 'DOE^JANE'): Buffer {
  const transferSyntax = dicomElement(0x0002, 0x0010, 'UI', Buffer.from('1.2.840.10008.1.2.1', 'latin1'));
  const mediaClass = dicomElement(0x0002, 0x0002, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.7', 'latin1'));
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(mediaClass.length + transferSyntax.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    dicomElement(0x0002, 0x0000, 'UL', groupLength),
    mediaClass,
    transferSyntax,
    dicomElement(0x0010, 0x0010, 'PN', Buffer.from(patientName, 'latin1')),
  ]);
}

export { expectStatus, openClinic as clinic } from '../../support/messaging';
export type { Clinic, Member as Person } from '../../support/messaging';

export function expectError(answer: HttpAnswer, status: number, code: string): Record<string, unknown> {
  expect({ status: answer.status, code: errorCode(answer) }).toEqual({ status, code });
  return (answer.body.error as { details?: Record<string, unknown> }).details ?? {};
}

/** A group conversation through the API. */
export function group(api: TestApi, owner: Member, others: readonly Member[]): Promise<string> {
  return openGroup(api, owner, others, 'Imaging review');
}

export interface CreatedUpload {
  id: string;
  upload: { url: string; method: string; headers: Record<string, string> };
  expiresAt: string;
}

export function createAttachment(api: TestApi, person: Member, body: Record<string, unknown>): Promise<HttpAnswer> {
  return api.call('POST', '/v1/attachments', body, { token: person.token });
}

export async function created(api: TestApi, person: Member, conversationId: string, file: Buffer, contentType: string, fileName = 'scan.png'): Promise<CreatedUpload> {
  const answer = await createAttachment(api, person, { conversationId, fileName, contentType, size: file.length });
  return expectStatus(answer, 201).body as unknown as CreatedUpload;
}

export function complete(api: TestApi, person: Member, id: string): Promise<HttpAnswer> {
  return api.call('POST', `/v1/attachments/${id}/complete`, undefined, { token: person.token });
}

export function download(api: TestApi, person: Member, id: string): Promise<HttpAnswer> {
  return api.call('GET', `/v1/attachments/${id}/download`, undefined, { token: person.token });
}

export const canary = (): string => `CANARY-${randomUUID().slice(0, 12)}`;
