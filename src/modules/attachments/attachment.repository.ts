import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { AttachmentRecord, AttachmentStatus, attachmentTable } from './attachment.table';

export type NewAttachment = Pick<AttachmentRecord,
  'id' | 'tenantId' | 'conversationId' | 'uploaderId' | 'fileName' | 'contentType' | 'size' | 'objectKey' | 'uploadExpiresAt'>;

/** What access checks, completion and transfers need: plain columns only, so reading it opens no PHI. */
export type AttachmentState = Pick<AttachmentRecord,
  'id' | 'conversationId' | 'uploaderId' | 'contentType' | 'size' | 'objectKey' | 'status' | 'detectedType' | 'messageId' | 'uploadExpiresAt'>;

const STATE_COLUMNS = ['conversationId', 'uploaderId', 'contentType', 'size', 'objectKey', 'status', 'detectedType', 'messageId', 'uploadExpiresAt'] as const;

export class AttachmentRepository extends TenantScopedRepository<AttachmentRecord> {
  constructor(kit: PersistenceKit) {
    super(attachmentTable, kit);
  }

  create(attachment: NewAttachment): Promise<AttachmentRecord> {
    return this.insert({ ...attachment, status: 'pending', detectedType: null, messageId: null }, {
      auditDetails: { conversationId: attachment.conversationId, size: attachment.size },
    });
  }

  async state(tenantId: string, id: string): Promise<AttachmentState | null> {
    const [attachment] = await this.findColumns({ tenantId, id }, STATE_COLUMNS);
    return attachment ? withNumericSize(attachment) : null;
  }

  /**
   * Moves one attachment from `from` to the patch's status, in one statement; false when it was no longer in `from`
   * (a concurrent completion won).
   */
  async transition(tenantId: string, id: string, from: AttachmentStatus, patch: { status: AttachmentStatus; detectedType?: string | null },
    auditAction: string, auditDetails: Record<string, string | number | null> = {}): Promise<boolean> {
    const changed = await this.updateWhere({ tenantId, id, status: from }, patch, { auditAction, auditDetails });
    return changed.length > 0;
  }

  /** Links ready, unattached uploads of this sender in this conversation to a message; returns the ids it linked. */
  async attach(tenantId: string, conversationId: string, uploaderId: string, messageId: string, ids: readonly string[]): Promise<string[]> {
    const linked = await this.updateWhere({ tenantId, id: ids, conversationId, uploaderId, status: 'ready', messageId: null }, { messageId }, {
      auditAction: 'attachment.attach',
      auditDetails: { conversationId, messageId },
    });
    return linked.map((row) => row.id);
  }

  /** With their file names: an audited read. */
  async byIds(tenantId: string, ids: readonly string[]): Promise<AttachmentRecord[]> {
    return (await this.findMany({ tenantId, id: ids })).map(withNumericSize);
  }

  /** The ready attachments of these messages, with their file names (an audited read), oldest upload first. */
  async ofMessages(tenantId: string, messageIds: readonly string[]): Promise<AttachmentRecord[]> {
    const records = await this.findMany({ tenantId, messageId: messageIds, status: 'ready' }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return records.map(withNumericSize);
  }

  /** One attachment read for a download: audited under that action, naming the attachment. */
  async forDownload(tenantId: string, id: string): Promise<AttachmentRecord | null> {
    const record = await this.findOne({ tenantId, id }, { auditAction: 'attachment.download' });
    return record ? withNumericSize(record) : null;
  }

  async attachedTo(tenantId: string, messageId: string): Promise<Pick<AttachmentRecord, 'id' | 'objectKey'>[]> {
    return this.findColumns({ tenantId, messageId, status: 'ready' }, ['objectKey']);
  }

  /** Marks one attachment deleted and drops its file name (PHI of a deleted message is not kept). */
  async markDeleted(tenantId: string, id: string, messageId: string): Promise<void> {
    await this.update({ tenantId, id }, { status: 'deleted', fileName: '' }, { auditAction: 'attachment.delete', auditDetails: { messageId } });
  }
}

/** bigint arrives as a number with parseInt8, as a string without: either way a number leaves here. */
function withNumericSize<T extends { size: number }>(record: T): T {
  return { ...record, size: Number(record.size) };
}
