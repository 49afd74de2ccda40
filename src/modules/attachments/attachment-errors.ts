import { AppError, ErrorCode } from '../../platform/errors';
import { ACCEPTED_TYPES } from './attachment-types';

/** The attachments module's errors, built here only: codes, messages and details are part of the REST contract. */

/** A signed link that is tampered with, expired, or names a tenant that is not active. */
export class InvalidLinkError extends AppError {
  constructor() {
    super(ErrorCode.FORBIDDEN, 'The link is invalid or has expired.');
  }
}

/** A declared content type outside every accepted family. */
export function unsupportedAttachmentType(): AppError {
  return new AppError(ErrorCode.ATTACHMENT_TYPE_MISMATCH, 'This type of file cannot be attached.', { reason: 'unsupported_type', accepted: ACCEPTED_TYPES });
}

export function attachmentTypeMismatch(declaredType: string, detectedType: string | null): AppError {
  return new AppError(ErrorCode.ATTACHMENT_TYPE_MISMATCH, 'The file is not of an accepted type, or not of the type it was declared as.', {
    declaredType, detectedType, accepted: ACCEPTED_TYPES,
  });
}

export function attachmentTooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.ATTACHMENT_TOO_LARGE, 'The file is larger than your organisation allows.', { maxBytes });
}

export function uploadExpired(): AppError {
  return new AppError(ErrorCode.ATTACHMENT_NOT_UPLOADED, 'The upload link expired before the file was uploaded.', { reason: 'expired' });
}

export function uploadMissing(): AppError {
  return new AppError(ErrorCode.ATTACHMENT_NOT_UPLOADED, 'The file has not been uploaded yet.', { reason: 'missing' });
}

export function uploadSizeMismatch(declaredSize: number, storedSize: number): AppError {
  return new AppError(ErrorCode.ATTACHMENT_NOT_UPLOADED, 'The uploaded file does not have the declared size.', {
    reason: 'size_mismatch', declaredSize, storedSize,
  });
}

/** The stored bytes of an upload are missing or do not open (the storage's own view, with its reason). */
export function uploadIncomplete(reason: string): AppError {
  return new AppError(ErrorCode.ATTACHMENT_NOT_UPLOADED, 'The upload is missing or incomplete.', { reason });
}

export function invalidAttachments(ids: readonly string[]): AppError {
  return new AppError(ErrorCode.INVALID_ATTACHMENT, 'Attachments must be ready uploads of yours in this conversation, not attached to another message.', {
    attachmentIds: ids.slice(0, 100),
  });
}

/** An upload body longer than its link admits. */
export function bodyTooLarge(): AppError {
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is too large.');
}

/** An upload body that did not arrive as raw bytes. */
export function unsupportedContentType(): AppError {
  return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'The content type is not supported.');
}
