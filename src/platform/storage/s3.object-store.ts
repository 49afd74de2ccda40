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
import { AppError, DependencyUnavailableError } from '../http/app-error';
import { ObjectRetainedError, ObjectStore, PutObjectOptions } from './object-store.port';

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
}

const CONNECTION_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ATTEMPTS = 3;

/**
 * Production object store. Retained objects are written with S3 Object Lock in COMPLIANCE mode; the
 * bucket must have Object Lock enabled, and the role needs s3:GetObjectRetention so that delete and
 * overwrite can refuse a retained key the same way the local store does (S3 itself would only add a
 * delete marker or a new version, leaving the caller believing the object was replaced).
 */
export class S3ObjectStore implements ObjectStore {
  readonly backend = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3ObjectStoreOptions | S3ObjectStoreClientOptions) {
    this.bucket = options.bucket;
    this.client =
      'client' in options
        ? options.client
        : new S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle,
        credentials: options.credentials,
        maxAttempts: MAX_ATTEMPTS,
        requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      });
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

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    await this.assertNotRetained(key);
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async ping(): Promise<void> {
    await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  private async assertNotRetained(key: string): Promise<void> {
    const retainUntil = (await this.head(key))?.ObjectLockRetainUntilDate;
    if (retainUntil && retainUntil.getTime() > Date.now()) {
      throw new ObjectRetainedError(retainUntil);
    }
  }

  private async head(key: string): Promise<HeadObjectCommandOutput | null> {
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

function hasStatus(metadata: unknown, status: number): boolean {
  return typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata && metadata.httpStatusCode === status;
}
