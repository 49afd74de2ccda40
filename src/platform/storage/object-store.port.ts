import { AppError, ErrorCode } from '../errors';

/**
 * Blobs: attachments and the audit archive. Keys never contain PHI.
 * Production: S3 (Object Lock for the audit archive). Embedded default: a directory under .data/objects.
 */
export interface PutObjectOptions {
  contentType?: string;
  /** Write-once retention: the object cannot be deleted or overwritten before this instant (S3 Object Lock, COMPLIANCE mode). */
  retainUntil?: Date;
}

export interface ObjectHead {
  /** Bytes stored. */
  size: number;
}

/** A request a client sends straight to the store, without credentials of its own: only until expiresAt. */
export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Every header the client must send exactly as given (they are signed): content-type, content-length, encryption. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PresignPutOptions {
  contentType: string;
  /** Signed: the store refuses a body of any other length. */
  contentLength: number;
  expiresInSeconds: number;
  /** Server-side encryption is always SSE-KMS; this names the key (absent: the bucket's default KMS key). */
  kmsKeyId?: string;
}

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** Content-Type and Content-Disposition the store answers with. Never PHI: URLs end up in logs. */
  responseContentType?: string;
  responseContentDisposition?: string;
}

/** Direct client transfers through short-lived signed URLs, so large bodies never pass through the API. */
export interface ObjectPresigner {
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;
  presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest>;
}

/** A presigned URL lives at most this long (S3's own limit for SigV4 query signing). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface ObjectStore {
  readonly backend: 's3' | 'local';
  put(key: string, body: Buffer, options?: PutObjectOptions): Promise<void>;
  /** null when the object does not exist. */
  get(key: string): Promise<Buffer | null>;
  /** The object's size without reading it; null when it does not exist. */
  head(key: string): Promise<ObjectHead | null>;
  /**
   * Bytes [start, end) of the object (end exclusive, like Buffer#subarray), fewer when the object is shorter (an
   * empty buffer when start is at or past its end); null when the object does not exist.
   */
  readRange(key: string, start: number, end: number): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  /** Throws ObjectRetainedError while a retention date is in the future. Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  /** Signs direct client transfers; null when the backend cannot (the local store: the application serves the bytes). */
  readonly presigner: ObjectPresigner | null;
}

/** A range a caller asked for: non-negative integers, start <= end. Both adapters check it the same way. */
export function assertValidRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range [${start}, ${end})`);
  }
}

export const OBJECT_STORE = Symbol('ObjectStore');

/** Both adapters throw this, so callers branch on one type whichever backend is configured. */
export class ObjectRetainedError extends AppError {
  constructor(retainUntil: Date) {
    super(ErrorCode.OBJECT_RETAINED, 'The object is under retention and cannot be deleted or overwritten yet.', {
      retainUntil: retainUntil.toISOString(),
    });
  }
}
