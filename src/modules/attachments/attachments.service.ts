import { randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { annotateAudit, bindCaller, currentContext } from '../../platform/context/request-context';
import { AppError, NotFoundError } from '../../platform/errors';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ObjectStore } from '../../platform/storage/object-store.port';
import { isUuid } from '../../platform/validation/uuid';
import { ConversationAccess } from '../conversations';
import { TenantLookup } from '../tenants';
import { AttachmentRepository, AttachmentState } from './attachment.repository';
import { attachmentObjectKey, AttachmentRecord } from './attachment.table';
import {
  attachmentTooLarge,
  attachmentTypeMismatch,
  bodyTooLarge,
  invalidAttachments,
  InvalidLinkError,
  unsupportedAttachmentType,
  uploadExpired,
  uploadMissing,
  uploadSizeMismatch,
} from './attachment-errors';
import { AttachmentStorage, PresignedAttachmentStorage, SealedLocalAttachmentStorage } from './attachment-storage';
import { declaredFamily, servedContentType, verifyType } from './attachment-types';
import { claimedLink, LinkClaims, LinkMethod, signatureMatches } from './signed-links';

/** What a message shows of each of its attachments. */
export interface AttachmentSummary {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface AttachmentsOptions {
  /** Where clients reach this API: the origin of the links it signs for the embedded store. */
  publicBaseUrl?: string;
  /** The KMS key S3 encrypts uploads with (SSE-KMS); absent: the bucket's default KMS key. */
  kmsKeyId?: string;
}

export interface NewAttachmentRequest {
  conversationId: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface CreatedAttachment {
  id: string;
  upload: { url: string; method: 'PUT'; headers: Record<string, string> };
  expiresAt: Date;
}

export interface CompletedAttachment {
  id: string;
  status: 'ready';
}

export interface DownloadLink {
  url: string;
  expiresAt: Date;
}

export interface AttachmentContent {
  body: Buffer;
  contentType: string;
}

/** Upload URLs live 15 minutes, download URLs 5. */
export const UPLOAD_URL_SECONDS = 15 * 60;
export const DOWNLOAD_URL_SECONDS = 5 * 60;

/**
 * Attachments: created against a conversation the caller belongs to, uploaded by the client straight to the object
 * store (S3 presigned PUT with SSE-KMS, or a link the app serves and seals at rest), completed once the stored size
 * matches and the sniffed type is allowed and agrees with the declared one, then linked to one message.
 */
export class AttachmentsService {
  private readonly attachments: AttachmentRepository;
  private readonly storage: AttachmentStorage;
  /** Set only with the embedded store, whose transfers the application serves itself. */
  private readonly local: SealedLocalAttachmentStorage | null;

  constructor(
    private readonly kit: PersistenceKit,
    private readonly access: Pick<ConversationAccess, 'requireMember'>,
    private readonly tenants: TenantLookup,
    objectStore: ObjectStore,
    options: AttachmentsOptions = {},
  ) {
    this.attachments = new AttachmentRepository(kit);
    if (objectStore.presigner) {
      this.storage = new PresignedAttachmentStorage(objectStore, objectStore.presigner, options.kmsKeyId);
      this.local = null;
    } else {
      this.local = new SealedLocalAttachmentStorage(kit, objectStore, (options.publicBaseUrl ?? 'http://localhost:3000').replace(/\/+$/, ''));
      this.storage = this.local;
    }
  }

  async create(principal: Principal, request: NewAttachmentRequest): Promise<CreatedAttachment> {
    const { tenantId, userId } = principal;
    await this.access.requireMember(tenantId, request.conversationId, userId);
    if (declaredFamily(request.contentType) === null) {
      throw unsupportedAttachmentType();
    }
    const tenant = await this.tenants.activeById(tenantId);
    if (!tenant) throw new NotFoundError('conversation');
    const { maxAttachmentBytes } = tenant.attachments;
    if (request.size > maxAttachmentBytes) {
      throw attachmentTooLarge(maxAttachmentBytes);
    }
    const id = randomUUID();
    const objectKey = attachmentObjectKey(tenantId, id);
    const expiresAt = new Date(Date.now() + UPLOAD_URL_SECONDS * 1000);
    await this.attachments.create({
      id, tenantId, conversationId: request.conversationId, uploaderId: userId, fileName: request.fileName,
      contentType: request.contentType, size: request.size, objectKey, uploadExpiresAt: expiresAt,
    });
    const target = await this.storage.uploadTarget({ tenantId, id, objectKey }, { contentType: request.contentType, size: request.size, expiresAt });
    return { id, upload: { url: target.url, method: 'PUT', headers: target.headers }, expiresAt };
  }

  /**
   * Checks the upload: it must exist with exactly the declared size, and its sniffed type must be allowed and agree
   * with the declared one; a file that fails the type check is deleted. Completing a ready attachment again answers
   * the same; only its uploader may complete it.
   */
  async complete(principal: Principal, id: string): Promise<CompletedAttachment> {
    const attachment = await this.accessible(principal, id);
    if (attachment.uploaderId !== principal.userId) throw new NotFoundError('attachment');
    if (attachment.status === 'ready') return { id, status: 'ready' };
    if (attachment.status === 'rejected') throw rejectedError(attachment);
    if (attachment.status !== 'pending') throw new NotFoundError('attachment');

    const ref = { tenantId: principal.tenantId, id, objectKey: attachment.objectKey };
    const expired = attachment.uploadExpiresAt.getTime() <= Date.now();
    const stored = await this.storage.open(ref);
    if (!stored || stored.size !== attachment.size) {
      if (expired) {
        // The link is dead, so nothing can fix this upload any more.
        await this.storage.discard(ref);
        await this.attachments.transition(principal.tenantId, id, 'pending', { status: 'rejected', detectedType: null }, 'attachment.reject', { reason: 'expired' });
        throw uploadExpired();
      }
      if (!stored) throw uploadMissing();
      throw uploadSizeMismatch(attachment.size, stored.size);
    }

    const verdict = await verifyType(attachment.contentType, stored);
    if (!verdict.accepted) {
      await this.storage.discard(ref);
      const detectedType = verdict.detectedType ?? 'application/octet-stream';
      await this.attachments.transition(principal.tenantId, id, 'pending', { status: 'rejected', detectedType }, 'attachment.reject', { reason: 'type_mismatch', detectedType });
      throw attachmentTypeMismatch(attachment.contentType, verdict.detectedType);
    }
    const completed = await this.attachments.transition(principal.tenantId, id, 'pending', { status: 'ready', detectedType: verdict.detectedType }, 'attachment.complete',
      { detectedType: verdict.detectedType });
    if (!completed) {
      // A concurrent completion decided first: answer as it did.
      const now = await this.attachments.state(principal.tenantId, id);
      if (now?.status === 'ready') return { id, status: 'ready' };
      if (now?.status === 'rejected') throw rejectedError(now);
      throw new NotFoundError('attachment');
    }
    return { id, status: 'ready' };
  }

  /** A short-lived URL for a ready attachment's bytes, for any member of its conversation; audited as a read. */
  async download(principal: Principal, id: string): Promise<DownloadLink> {
    const attachment = await this.accessible(principal, id);
    if (attachment.status !== 'ready') throw new NotFoundError('attachment');
    const record = await this.attachments.forDownload(principal.tenantId, id);
    if (!record || record.status !== 'ready') throw new NotFoundError('attachment');
    const expiresAt = new Date(Date.now() + DOWNLOAD_URL_SECONDS * 1000);
    return this.storage.downloadTarget({ tenantId: principal.tenantId, id, objectKey: record.objectKey }, { contentType: servedContentType(record.detectedType), expiresAt });
  }

  /**
   * Checks a signed link (method, tenant, attachment, size, expiry) before its body is read; binds the request's audit
   * to the link's tenant. Any flaw answers 403 alike, so the answer says nothing about which part was wrong.
   */
  async verifyLink(method: LinkMethod, attachmentId: unknown, query: unknown): Promise<LinkClaims> {
    if (!this.local) throw new NotFoundError('route');
    const claimed = claimedLink(method, attachmentId, query);
    if (!claimed || claimed.claims.expires * 1000 <= Date.now()) throw new InvalidLinkError();
    const { claims, signature } = claimed;
    // Keys are loaded (or created) only for tenants that exist and are active.
    if (!(await this.tenants.activeById(claims.tenantId))) throw new InvalidLinkError();
    const indexKey = await this.kit.keys.current(claims.tenantId, 'index');
    if (!signatureMatches(indexKey.key, claims, signature)) throw new InvalidLinkError();
    return claims;
  }

  /**
   * Before an upload's body is read: the link must be valid and its attachment pending with its link alive. Answers
   * how many bytes the body may have (the declared size), so nothing larger is ever buffered.
   */
  async admitUpload(attachmentId: unknown, query: unknown): Promise<number> {
    const claims = await this.verifyLink('PUT', attachmentId, query);
    const attachment = await this.attachments.state(claims.tenantId, claims.attachmentId);
    if (!attachment || attachment.status !== 'pending' || attachment.uploadExpiresAt.getTime() <= Date.now()) throw new NotFoundError('attachment');
    return attachment.size;
  }

  /** The upload behind a verified PUT link: sealed and stored while the attachment is pending and its link alive. */
  async receiveUpload(attachmentId: unknown, query: unknown, body: Buffer): Promise<void> {
    const claims = await this.verifyLink('PUT', attachmentId, query);
    const local = this.requireLocal();
    this.bindLinkCaller(claims);
    const attachment = await this.attachments.state(claims.tenantId, claims.attachmentId);
    if (!attachment || attachment.status !== 'pending' || attachment.uploadExpiresAt.getTime() <= Date.now()) throw new NotFoundError('attachment');
    if (body.length > attachment.size) throw bodyTooLarge();
    await local.write({ tenantId: claims.tenantId, id: claims.attachmentId, objectKey: attachment.objectKey }, body);
  }

  /** The bytes behind a verified GET link, opened from the embedded store. */
  async content(attachmentId: unknown, query: unknown): Promise<AttachmentContent> {
    const claims = await this.verifyLink('GET', attachmentId, query);
    const local = this.requireLocal();
    this.bindLinkCaller(claims);
    const attachment = await this.attachments.state(claims.tenantId, claims.attachmentId);
    if (!attachment || attachment.status !== 'ready') throw new NotFoundError('attachment');
    const body = await local.read({ tenantId: claims.tenantId, id: claims.attachmentId, objectKey: attachment.objectKey });
    if (!body) throw new NotFoundError('attachment');
    return { body, contentType: servedContentType(attachment.detectedType) };
  }

  /**
   * Called inside the send transaction (kit.transactions.run joins it). Every id must be a ready attachment of this
   * tenant and conversation, uploaded by senderId, not yet attached; else an INVALID_ATTACHMENT error. Sets
   * message_id. Returns summaries in the given order.
   */
  async attachToMessage(tenantId: string, conversationId: string, senderId: string, messageId: string, attachmentIds: readonly string[]): Promise<AttachmentSummary[]> {
    if (attachmentIds.length === 0) return [];
    const ids = [...attachmentIds];
    if (new Set(ids).size !== ids.length || ids.some((id) => !isUuid(id))) throw invalidAttachments(ids);
    return this.kit.transactions.run(tenantId, async () => {
      const linked = new Set(await this.attachments.attach(tenantId, conversationId, senderId, messageId, ids));
      // Throwing rolls back the links made so far with the rest of the transaction.
      if (linked.size !== ids.length) throw invalidAttachments(ids.filter((id) => !linked.has(id)));
      const records = new Map((await this.attachments.byIds(tenantId, ids)).map((record) => [record.id, record]));
      return ids.map((id) => {
        const record = records.get(id);
        if (!record) throw invalidAttachments([id]);
        return summaryOf(record);
      });
    });
  }

  /** Summaries of the attachments of these messages (one query), keyed by message id; every id asked for is a key. */
  async summariesFor(tenantId: string, messageIds: readonly string[]): Promise<Map<string, AttachmentSummary[]>> {
    const summaries = new Map<string, AttachmentSummary[]>(messageIds.map((id) => [id, []]));
    const ids = [...new Set(messageIds)].filter((id) => isUuid(id));
    if (ids.length === 0) return summaries;
    for (const record of await this.attachments.ofMessages(tenantId, ids)) {
      if (record.messageId !== null) summaries.get(record.messageId)?.push(summaryOf(record));
    }
    return summaries;
  }

  /**
   * A message was deleted: its attachments' rows are marked 'deleted' (their file names dropped), then their objects
   * are deleted (downloads answer 404 from then on). Inside the caller's transaction when there is one; an object
   * store failure throws, so that transaction rolls back rather than keeping the rows of half-deleted objects.
   */
  async discardForMessage(tenantId: string, messageId: string): Promise<void> {
    if (!isUuid(messageId)) return;
    await this.kit.transactions.run(tenantId, async () => {
      const attached = await this.attachments.attachedTo(tenantId, messageId);
      for (const attachment of attached) await this.attachments.markDeleted(tenantId, attachment.id, messageId);
      for (const attachment of attached) await this.storage.discard({ tenantId, id: attachment.id, objectKey: attachment.objectKey });
    });
  }

  /** The attachment, if it exists in the caller's tenant and the caller belongs to its conversation; else 404. */
  private async accessible(principal: Principal, id: string): Promise<AttachmentState> {
    const attachment = await this.attachments.state(principal.tenantId, id);
    if (!attachment) throw new NotFoundError('attachment');
    await this.access.requireMember(principal.tenantId, attachment.conversationId, principal.userId, 'attachment');
    return attachment;
  }

  private requireLocal(): SealedLocalAttachmentStorage {
    if (!this.local) throw new NotFoundError('route');
    return this.local;
  }

  /** Whoever holds a link acts for no known user; the request's audit event belongs to the link's tenant. */
  private bindLinkCaller(claims: LinkClaims): void {
    if (currentContext()) bindCaller({ type: 'anonymous' }, claims.tenantId);
    annotateAudit({ attachmentId: claims.attachmentId, via: 'signed_link' });
  }

}

function summaryOf(record: AttachmentRecord): AttachmentSummary {
  return { id: record.id, fileName: record.fileName, contentType: record.detectedType ?? record.contentType, size: record.size };
}

/** A rejected attachment answers as its rejection did: a type mismatch when its type was sniffed, else not uploaded. */
function rejectedError(attachment: Pick<AttachmentState, 'contentType' | 'detectedType'>): AppError {
  if (attachment.detectedType !== null) {
    return attachmentTypeMismatch(attachment.contentType, attachment.detectedType === 'application/octet-stream' ? null : attachment.detectedType);
  }
  return uploadExpired();
}
