import { AppError } from '../http/app-error';
import { ErrorCode } from '../http/error-codes';

/**
 * Blobs: attachments and the audit archive. Keys never contain PHI.
 * Production: S3 (Object Lock for the audit archive). Embedded default: a directory under .data/objects.
 */
export interface PutObjectOptions {
  contentType?: string;
  /** Write-once retention: the object cannot be deleted or overwritten before this instant (S3 Object Lock, COMPLIANCE mode). */
  retainUntil?: Date;
}

export interface ObjectStore {
  readonly backend: 's3' | 'local';
  put(key: string, body: Buffer, options?: PutObjectOptions): Promise<void>;
  /** null when the object does not exist. */
  get(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  /** Throws ObjectRetainedError while a retention date is in the future. Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
}

export const OBJECT_STORE = Symbol('ObjectStore');

/** Both adapters throw this, so callers branch on one type whichever backend is configured. */
export class ObjectRetainedError extends AppError {
  constructor(retainUntil: Date) {
    super(ErrorCode.OBJECT_RETAINED, 409, 'The object is under retention and cannot be deleted or overwritten yet.', {
      retainUntil: retainUntil.toISOString(),
    });
  }
}
