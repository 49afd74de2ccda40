import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError, DependencyUnavailableError } from '../errors';
import {
  assertValidRange,
  MAX_PRESIGN_SECONDS,
  ObjectHead,
  ObjectPresigner,
  ObjectRetainedError,
  ObjectStore,
  PresignedRequest,
  PresignGetOptions,
  PresignPutOptions,
  PutObjectOptions,
} from './object-store.port';

export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
}

/** For a client the caller configured (middleware, custom handler); the caller keeps ownership of it. */
export interface S3ObjectStoreClientOptions {
  client: S3Client;
  bucket: string;
  /**
   * Signs presigned URLs; defaults to `client`. It should be configured with `requestChecksumCalculation:
   * 'WHEN_REQUIRED'`, or the SDK signs a checksum of the empty body into every upload URL.
   */
  presignClient?: S3Client;
}

/** Hoisted into the query string, S3 would not apply them: they stay headers, signed, which the client must send. */
const SSE_HEADER = 'x-amz-server-side-encryption';
const SSE_KMS_KEY_HEADER = 'x-amz-server-side-encryption-aws-kms-key-id';

const CONNECTION_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ATTEMPTS = 3;

/**
 * Production object store. Retained objects are written with S3 Object Lock in COMPLIANCE mode; the
 * bucket must have Object Lock enabled, and the role needs s3:GetObjectRetention so that delete and
 * overwrite can refuse a retained key the same way the local store does (S3 itself would only add a
 * delete marker or a new version, leaving the caller believing the object was replaced).
 */
export class S3ObjectStore implements ObjectStore, ObjectPresigner {
  readonly backend = 's3';
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;

  constructor(options: S3ObjectStoreOptions | S3ObjectStoreClientOptions) {
    this.bucket = options.bucket;
    if ('client' in options) {
      this.client = options.client;
      this.presignClient = options.presignClient ?? options.client;
    } else {
      const config: S3ClientConfig = {
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle,
        credentials: options.credentials,
        maxAttempts: MAX_ATTEMPTS,
        requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      };
      this.client = new S3Client(config);
      // The SDK would otherwise sign a CRC32 of the (absent) body into upload URLs; the client's body would not match.
      this.presignClient = new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED' });
    }
  }

  get presigner(): ObjectPresigner {
    return this;
  }

  async put(key: string, body: Buffer, options: PutObjectOptions = {}): Promise<void> {
    await this.assertNotRetained(key);
    const retention = options.retainUntil
      ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: options.retainUntil }
      : {};
    await this.send(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          // Object Lock refuses a PUT without an integrity checksum.
          ChecksumAlgorithm: 'SHA256',
          ...retention,
        }),
      ),
    );
  }

  async get(key: string): Promise<Buffer | null> {
    return this.send(async () => {
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (!response.Body) return Buffer.alloc(0);
        return Buffer.from(await response.Body.transformToByteArray());
      } catch (error: unknown) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  async head(key: string): Promise<ObjectHead | null> {
    const head = await this.headObject(key);
    return head ? { size: head.ContentLength ?? 0 } : null;
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer | null> {
    assertValidRange(start, end);
    if (start === end) return (await this.headObject(key)) ? Buffer.alloc(0) : null;
    return this.send(async () => {
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
        if (!response.Body) return Buffer.alloc(0);
        return Buffer.from(await response.Body.transformToByteArray());
      } catch (error: unknown) {
        if (isNotFound(error)) return null;
        // 416: the range starts at or past the end of an existing object.
        if (isRangeNotSatisfiable(error)) return Buffer.alloc(0);
        throw error;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.headObject(key)) !== null;
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    const expiresIn = presignSeconds(options.expiresInSeconds);
    if (!Number.isSafeInteger(options.contentLength) || options.contentLength < 0) throw new RangeError('invalid content length');
    const headers: Record<string, string> = {
      'content-type': options.contentType,
      'content-length': String(options.contentLength),
      [SSE_HEADER]: 'aws:kms',
      ...(options.kmsKeyId ? { [SSE_KMS_KEY_HEADER]: options.kmsKeyId } : {}),
    };
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      ContentLength: options.contentLength,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: options.kmsKeyId,
    });
    const url = await this.send(() => getSignedUrl(this.presignClient, command, {
      expiresIn,
      unhoistableHeaders: new Set([SSE_HEADER, SSE_KMS_KEY_HEADER]),
      signableHeaders: new Set(['content-type', 'content-length']),
    }));
    return { url, method: 'PUT', headers, expiresAt };
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest> {
    const expiresIn = presignSeconds(options.expiresInSeconds);
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: options.responseContentType,
      ResponseContentDisposition: options.responseContentDisposition,
    });
    const url = await this.send(() => getSignedUrl(this.presignClient, command, { expiresIn }));
    return { url, method: 'GET', headers: {}, expiresAt };
  }

  async delete(key: string): Promise<void> {
    await this.assertNotRetained(key);
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async ping(): Promise<void> {
    await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  private async assertNotRetained(key: string): Promise<void> {
    const retainUntil = (await this.headObject(key))?.ObjectLockRetainUntilDate;
    if (retainUntil && retainUntil.getTime() > Date.now()) {
      throw new ObjectRetainedError(retainUntil);
    }
  }

  private async headObject(key: string): Promise<HeadObjectCommandOutput | null> {
    return this.send(async () => {
      try {
        return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error: unknown) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  /** Every S3 or transport failure becomes one dependency error; its details never include the key. */
  private async send<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error: unknown) {
      if (error instanceof AppError) throw error;
      throw new DependencyUnavailableError('object-store');
    }
  }
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ('name' in error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return true;
  return '$metadata' in error && hasStatus(error.$metadata, 404);
}

function isRangeNotSatisfiable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ('name' in error && error.name === 'InvalidRange') return true;
  return '$metadata' in error && hasStatus(error.$metadata, 416);
}

function presignSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) throw new RangeError('invalid presign lifetime');
  return seconds;
}

function hasStatus(metadata: unknown, status: number): boolean {
  return typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata && metadata.httpStatusCode === status;
}
