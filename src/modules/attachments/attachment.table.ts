import { TableDefinition } from '../../platform/persistence/table-definition';

/**
 * pending: created, its upload URL issued; ready: uploaded, size and sniffed type checked; rejected: the upload
 * failed its checks or expired (its object is gone); deleted: its message was deleted (its object is gone).
 */
export type AttachmentStatus = 'pending' | 'ready' | 'rejected' | 'deleted';

export interface AttachmentRecord {
  id: string;
  tenantId: string;
  conversationId: string;
  uploaderId: string;
  /** PHI (file names name patients): sealed. */
  fileName: string;
  /** As the client declared it. */
  contentType: string;
  /** Declared size in bytes; an upload of any other size is not completed. */
  size: number;
  /** "<tenant id>/attachments/<attachment id>": no PHI. */
  objectKey: string;
  status: AttachmentStatus;
  /** The type sniffed from the bytes on completion (also recorded for a rejected upload). */
  detectedType: string | null;
  messageId: string | null;
  uploadExpiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const attachmentTable: TableDefinition<AttachmentRecord> = {
  table: 'attachment',
  resourceType: 'attachment',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    conversationId: { column: 'conversation_id' },
    uploaderId: { column: 'uploader_id' },
    fileName: { column: 'file_name_sealed', sealed: true },
    contentType: { column: 'content_type' },
    size: { column: 'size' },
    objectKey: { column: 'object_key' },
    status: { column: 'status' },
    detectedType: { column: 'detected_type' },
    messageId: { column: 'message_id' },
    uploadExpiresAt: { column: 'upload_expires_at' },
    createdAt: { column: 'created_at' },
    updatedAt: { column: 'updated_at' },
  },
};

/** Object keys carry ids only. */
export function attachmentObjectKey(tenantId: string, attachmentId: string): string {
  return `${tenantId}/attachments/${attachmentId}`;
}
