import { openBytes, sealBytes, SealLocation } from '../../platform/crypto/field-cipher';
import { openWithDataKey } from '../../platform/persistence/row-codec';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ObjectPresigner, ObjectStore } from '../../platform/storage/object-store.port';
import { uploadIncomplete } from './attachment-errors';
import { StoredObject } from './attachment-types';
import { linkPath, LinkClaims, signLink } from './signed-links';

/** The attachment an upload or a download is for: ids only. */
export interface AttachmentObject {
  tenantId: string;
  id: string;
  objectKey: string;
}

export interface UploadTarget {
  url: string;
  /** Every header the client must send with the PUT. */
  headers: Record<string, string>;
}

export interface DownloadTarget {
  url: string;
  expiresAt: Date;
}

/** Where an attachment's bytes go and how a client reaches them: S3 through presigned URLs, or the app itself. */
export interface AttachmentStorage {
  uploadTarget(attachment: AttachmentObject, upload: { contentType: string; size: number; expiresAt: Date }): Promise<UploadTarget>;
  /** The stored object for checking, or null when nothing was uploaded. */
  open(attachment: AttachmentObject): Promise<StoredObject | null>;
  downloadTarget(attachment: AttachmentObject, download: { contentType: string; expiresAt: Date }): Promise<DownloadTarget>;
  discard(attachment: AttachmentObject): Promise<void>;
}

function secondsUntil(instant: Date): number {
  return Math.max(1, Math.floor((instant.getTime() - Date.now()) / 1000));
}

/** S3: the client PUTs and GETs the object directly with presigned URLs; uploads are encrypted with SSE-KMS. */
export class PresignedAttachmentStorage implements AttachmentStorage {
  constructor(private readonly store: ObjectStore, private readonly presigner: ObjectPresigner, private readonly kmsKeyId?: string) {}

  async uploadTarget(attachment: AttachmentObject, upload: { contentType: string; size: number; expiresAt: Date }): Promise<UploadTarget> {
    const signed = await this.presigner.presignPut(attachment.objectKey, {
      contentType: upload.contentType,
      contentLength: upload.size,
      expiresInSeconds: secondsUntil(upload.expiresAt),
      kmsKeyId: this.kmsKeyId,
    });
    return { url: signed.url, headers: signed.headers };
  }

  async open(attachment: AttachmentObject): Promise<StoredObject | null> {
    const head = await this.store.head(attachment.objectKey);
    if (!head) return null;
    return {
      size: head.size,
      read: async (start, end) => {
        const bytes = await this.store.readRange(attachment.objectKey, start, end);
        if (!bytes) throw uploadIncomplete('missing');
        return bytes;
      },
    };
  }

  async downloadTarget(attachment: AttachmentObject, download: { contentType: string; expiresAt: Date }): Promise<DownloadTarget> {
    // No file name in the URL: it is PHI, and URLs reach logs.
    const signed = await this.presigner.presignGet(attachment.objectKey, {
      expiresInSeconds: secondsUntil(download.expiresAt),
      responseContentType: download.contentType,
      responseContentDisposition: 'attachment',
    });
    return { url: signed.url, expiresAt: signed.expiresAt < download.expiresAt ? signed.expiresAt : download.expiresAt };
  }

  discard(attachment: AttachmentObject): Promise<void> {
    return this.store.delete(attachment.objectKey);
  }
}

/**
 * The embedded store: a directory that clients cannot reach, so the application serves transfers itself through
 * links it signs (see signed-links.ts), and seals every object with the tenant's data key before it touches disk.
 */
export class SealedLocalAttachmentStorage implements AttachmentStorage {
  constructor(private readonly kit: PersistenceKit, private readonly store: ObjectStore, private readonly publicBaseUrl: string) {}

  async uploadTarget(attachment: AttachmentObject, upload: { contentType: string; size: number; expiresAt: Date }): Promise<UploadTarget> {
    const url = await this.link({ method: 'PUT', tenantId: attachment.tenantId, attachmentId: attachment.id, size: upload.size, expires: unixSeconds(upload.expiresAt) });
    return { url, headers: { 'content-type': upload.contentType, 'content-length': String(upload.size) } };
  }

  async open(attachment: AttachmentObject): Promise<StoredObject | null> {
    const bytes = await this.read(attachment);
    if (!bytes) return null;
    return { size: bytes.length, read: async (start, end) => bytes.subarray(start, end) };
  }

  async downloadTarget(attachment: AttachmentObject, download: { expiresAt: Date }): Promise<DownloadTarget> {
    const url = await this.link({ method: 'GET', tenantId: attachment.tenantId, attachmentId: attachment.id, expires: unixSeconds(download.expiresAt) });
    return { url, expiresAt: download.expiresAt };
  }

  discard(attachment: AttachmentObject): Promise<void> {
    return this.store.delete(attachment.objectKey);
  }

  /** Seals the uploaded bytes under the tenant's current data key and stores the envelope. */
  async write(attachment: AttachmentObject, plaintext: Buffer): Promise<void> {
    const dataKey = await this.kit.keys.current(attachment.tenantId, 'data');
    const envelope = sealBytes(dataKey.key, dataKey.version, plaintext, locationOf(attachment));
    await this.store.put(attachment.objectKey, envelope, { contentType: 'application/octet-stream' });
  }

  /** The plaintext, or null when nothing is stored; an envelope that does not open is an integrity failure. */
  async read(attachment: AttachmentObject): Promise<Buffer | null> {
    const envelope = await this.store.get(attachment.objectKey);
    if (!envelope) return null;
    return openWithDataKey(this.kit.keys, locationOf(attachment), envelope, openBytes);
  }

  private async link(claims: LinkClaims): Promise<string> {
    const indexKey = await this.kit.keys.current(claims.tenantId, 'index');
    return `${this.publicBaseUrl}${linkPath(claims, signLink(indexKey.key, claims))}`;
  }
}

function locationOf(attachment: AttachmentObject): SealLocation {
  return { tenantId: attachment.tenantId, table: 'attachment', column: 'object', rowId: attachment.id };
}

function unixSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}
