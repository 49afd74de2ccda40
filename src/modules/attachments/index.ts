// The attachments module's public surface: other modules import from here, never from the files behind it.
import { sealedLogKeys } from '../../platform/observability/logger';
import { attachmentTable } from './attachment.table';
export { AttachmentsModule } from './attachments.module';
export { AttachmentsService } from './attachments.service';
export type { AttachmentSummary } from './attachments.service';

/** The names its sealed columns go by (property and column): the loggers redact them wherever they appear. */
export const attachmentsLogRedaction: readonly string[] = sealedLogKeys([attachmentTable]);
