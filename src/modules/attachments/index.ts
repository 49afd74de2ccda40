// The attachments module's public surface: other modules import from here, never from the files behind it.
export { AttachmentsModule } from './attachments.module';
export { AttachmentsService } from './attachments.service';
export type { AttachmentSummary } from './attachments.service';
