import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { DependencyUnavailableError, ErrorCode } from '../../../src/platform/errors';
import { LocalObjectStore, UnsafeObjectKeyError } from '../../../src/platform/storage/local.object-store';
import { ObjectRetainedError, ObjectStore } from '../../../src/platform/storage/object-store.port';
import { S3ObjectStore } from '../../../src/platform/storage/s3.object-store';
import { portOf, RunningS3rver, startS3rver } from '../../support/s3rver';

const BUCKET = 'sealed-channels-contract';
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server.address());
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const scratchDirs: string[] = [];
function scratchDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sealed-channels-${label}-`));
  scratchDirs.push(dir);
  return dir;
}

let s3rver: RunningS3rver;
let s3Endpoint: string;

beforeAll(async () => {
  s3rver = await startS3rver(BUCKET);
  s3Endpoint = s3rver.endpoint;
});

afterAll(async () => {
  await s3rver.close();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function s3Store(endpoint = s3Endpoint): S3ObjectStore {
  return new S3ObjectStore({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

interface ObjectStoreAdapter {
  name: string;
  create(): ObjectStore;
}

const adapters: ObjectStoreAdapter[] = [
  { name: 'LocalObjectStore', create: () => new LocalObjectStore({ root: scratchDir('local-store') }) },
  { name: 'S3ObjectStore', create: () => s3Store() },
];

describe.each(adapters)('ObjectStore contract: $name', (adapter) => {
  let store: ObjectStore;
  let keyCounter = 0;
  const freshKey = (): string => `contract/${adapter.name}/${++keyCounter}.bin`;

  beforeAll(() => {
    store = adapter.create();
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('returns exactly the bytes that were put', async () => {
    const key = freshKey();
    const body = Buffer.concat([Buffer.from([0, 255, 0]), randomBytes(64 * 1024)]);
    await store.put(key, body, { contentType: 'application/octet-stream' });
    expect(await store.get(key)).toEqual(body);
    expect(await store.exists(key)).toBe(true);
  });

  it('stores an empty object', async () => {
    const key = freshKey();
    await store.put(key, Buffer.alloc(0));
    expect(await store.get(key)).toEqual(Buffer.alloc(0));
    expect(await store.exists(key)).toBe(true);
  });

  it('answers null and false for a missing key', async () => {
    const key = freshKey();
    expect(await store.get(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);
  });

  it('replaces an object that has no retention', async () => {
    const key = freshKey();
    await store.put(key, Buffer.from('first'));
    await store.put(key, Buffer.from('second'));
    expect(await store.get(key)).toEqual(Buffer.from('second'));
  });

  it('keeps nested keys apart', async () => {
    const parent = freshKey();
    await store.put(`${parent}/a/1.json`, Buffer.from('a1'));
    await store.put(`${parent}/b/1.json`, Buffer.from('b1'));
    expect(await store.get(`${parent}/a/1.json`)).toEqual(Buffer.from('a1'));
    expect(await store.get(`${parent}/b/1.json`)).toEqual(Buffer.from('b1'));
  });

  it('deletes an object, and deleting a missing key is not an error', async () => {
    const key = freshKey();
    await store.put(key, Buffer.from('to delete'));
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);
    await expect(store.delete(freshKey())).resolves.toBeUndefined();
  });

  it('answers head with the stored size, and null for a missing key', async () => {
    const key = freshKey();
    await store.put(key, randomBytes(1234));
    expect(await store.head(key)).toEqual({ size: 1234 });
    await store.put(`${key}.empty`, Buffer.alloc(0));
    expect(await store.head(`${key}.empty`)).toEqual({ size: 0 });
    expect(await store.head(freshKey())).toBeNull();
  });

  it('reads byte ranges [start, end) without reading the rest', async () => {
    const key = freshKey();
    const body = randomBytes(10_000);
    await store.put(key, body);
    expect(await store.readRange(key, 0, 16)).toEqual(body.subarray(0, 16));
    expect(await store.readRange(key, 4096, 8192)).toEqual(body.subarray(4096, 8192));
    // Past the end: what there is, then nothing.
    expect(await store.readRange(key, 9_990, 20_000)).toEqual(body.subarray(9_990));
    expect(await store.readRange(key, 10_000, 10_100)).toEqual(Buffer.alloc(0));
    expect(await store.readRange(key, 50, 50)).toEqual(Buffer.alloc(0));
  });

  it('reads an empty range of an empty object as empty, and any range of a missing key as null', async () => {
    const key = freshKey();
    await store.put(key, Buffer.alloc(0));
    // Not bytes=0-99 of the empty object: s3rver answers that with a 206 announcing a byte it never sends (real S3
    // answers 416, which the past-the-end case above covers on a non-empty object).
    expect(await store.readRange(key, 0, 0)).toEqual(Buffer.alloc(0));
    expect(await store.readRange(freshKey(), 0, 100)).toBeNull();
    expect(await store.readRange(freshKey(), 0, 0)).toBeNull();
  });

  it('refuses a malformed range before touching the store', async () => {
    const key = freshKey();
    await expect(store.readRange(key, 10, 5)).rejects.toThrow(RangeError);
    await expect(store.readRange(key, -1, 5)).rejects.toThrow(RangeError);
    await expect(store.readRange(key, 0.5, 5)).rejects.toThrow(RangeError);
  });

  it('accepts a write with a retention date and reads it back', async () => {
    const key = freshKey();
    const retainUntil = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    await store.put(key, Buffer.from('archived digest'), { retainUntil, contentType: 'application/json' });
    expect(await store.get(key)).toEqual(Buffer.from('archived digest'));
  });
});

describe('LocalObjectStore', () => {
  it('has no presigner: clients cannot reach a directory, the application serves its objects', () => {
    expect(new LocalObjectStore({ root: scratchDir('local-presign') }).presigner).toBeNull();
  });

  const retainedFor = (ms: number): Date => new Date(Date.now() + ms);

  it('creates its root private to the owner and writes private files', async () => {
    const root = join(scratchDir('local-perms'), 'nested', 'store');
    const store = new LocalObjectStore({ root });
    await store.put('a/b.bin', Buffer.from('x'));
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'objects', 'a', 'b.bin')).mode & 0o777).toBe(0o600);
  });

  it('leaves no temp files behind after writes', async () => {
    const root = scratchDir('local-tmp');
    const store = new LocalObjectStore({ root });
    await Promise.all([1, 2, 3].map((n) => store.put(`k/${n}`, randomBytes(1024))));
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it.each(['../escape', 'a/../../escape', '/etc/passwd', 'a\0b', '', 'a//b', './a', 'a/.', 'a\\..\\b'])(
    'rejects the unsafe key %j on every operation',
    async (key) => {
      const store = new LocalObjectStore({ root: scratchDir('local-keys') });
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(UnsafeObjectKeyError);
      await expect(store.get(key)).rejects.toThrow(UnsafeObjectKeyError);
      await expect(store.exists(key)).rejects.toThrow(UnsafeObjectKeyError);
      await expect(store.delete(key)).rejects.toThrow(UnsafeObjectKeyError);
    },
  );

  it('refuses delete and overwrite before retainUntil with OBJECT_RETAINED', async () => {
    const store = new LocalObjectStore({ root: scratchDir('local-retention') });
    const retainUntil = retainedFor(3_600_000);
    await store.put('audit/segment-1.json', Buffer.from('digest'), { retainUntil });

    const deletion = store.delete('audit/segment-1.json');
    await expect(deletion).rejects.toThrow(ObjectRetainedError);
    await expect(deletion).rejects.toMatchObject({
      code: ErrorCode.OBJECT_RETAINED,
      details: { retainUntil: retainUntil.toISOString() },
    });
    await expect(store.put('audit/segment-1.json', Buffer.from('forged'))).rejects.toThrow(ObjectRetainedError);
    expect(await store.get('audit/segment-1.json')).toEqual(Buffer.from('digest'));
  });

  it('keeps retention across instances on the same root', async () => {
    const root = scratchDir('local-retention-restart');
    await new LocalObjectStore({ root }).put('audit/segment-2.json', Buffer.from('digest'), { retainUntil: retainedFor(3_600_000) });
    await expect(new LocalObjectStore({ root }).delete('audit/segment-2.json')).rejects.toThrow(ObjectRetainedError);
  });

  it('allows delete once retainUntil has passed', async () => {
    const store = new LocalObjectStore({ root: scratchDir('local-retention-expiry') });
    await store.put('audit/segment-3.json', Buffer.from('digest'), { retainUntil: retainedFor(150) });
    await expect(store.delete('audit/segment-3.json')).rejects.toThrow(ObjectRetainedError);
    await sleep(200);
    await store.delete('audit/segment-3.json');
    expect(await store.exists('audit/segment-3.json')).toBe(false);
  });
});

type HeaderBag = Record<string, string>;

function headersOf(request: unknown): HeaderBag {
  if (typeof request === 'object' && request !== null && 'headers' in request && typeof request.headers === 'object' && request.headers !== null) {
    return Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  }
  return {};
}

function responseHeaders(response: unknown): Record<string, string> | null {
  if (typeof response === 'object' && response !== null && 'headers' in response && typeof response.headers === 'object' && response.headers !== null) {
    return response.headers as Record<string, string>;
  }
  return null;
}

/** A client that records the headers of every PutObject request exactly as they go on the wire (after signing). */
function recordingClient(sentPuts: HeaderBag[]): S3Client {
  const client = new S3Client({ region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand') sentPuts.push(headersOf(args.request));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordPutHeaders' },
  );
  return client;
}

describe('S3ObjectStore', () => {
  it('sends Object Lock COMPLIANCE, the retain-until date and a SHA-256 checksum with a retained put', async () => {
    const sentPuts: HeaderBag[] = [];
    const client = recordingClient(sentPuts);
    try {
      const store = new S3ObjectStore({ client, bucket: BUCKET });
      const retainUntil = new Date('2033-01-01T00:00:00.000Z');
      const body = Buffer.from('{"segment":1}');
      await store.put('audit/segment-1.json', body, { retainUntil, contentType: 'application/json' });

      expect(sentPuts).toHaveLength(1);
      const sent = sentPuts[0] ?? {};
      expect(sent).toMatchObject({
        'x-amz-object-lock-mode': 'COMPLIANCE',
        'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64'),
        'content-type': 'application/json',
      });
      // The SDK writes ISO 8601 without milliseconds; the instant is what must match.
      expect(new Date(sent['x-amz-object-lock-retain-until-date'] ?? 'missing').getTime()).toBe(retainUntil.getTime());
      expect(await store.get('audit/segment-1.json')).toEqual(body);
    } finally {
      client.destroy();
    }
  });

  it('sends no Object Lock headers without retainUntil, but still a checksum', async () => {
    const sentPuts: HeaderBag[] = [];
    const client = recordingClient(sentPuts);
    try {
      await new S3ObjectStore({ client, bucket: BUCKET }).put('attachments/plain.bin', Buffer.from('x'));
      expect(sentPuts).toHaveLength(1);
      expect(Object.keys(sentPuts[0] ?? {})).not.toContain('x-amz-object-lock-mode');
      expect(Object.keys(sentPuts[0] ?? {})).not.toContain('x-amz-object-lock-retain-until-date');
      expect(sentPuts[0]).toHaveProperty('x-amz-checksum-sha256');
    } finally {
      client.destroy();
    }
  });

  it('refuses to delete or overwrite an object whose Object Lock date is in the future', async () => {
    const retainUntil = new Date(Date.now() + 3_600_000);
    const client = new S3Client({ region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    // s3rver ignores Object Lock, so its HeadObject answer gets the header real S3 returns for a locked object.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'HeadObjectCommand') {
          const headers = responseHeaders(result.response);
          if (headers) headers['x-amz-object-lock-retain-until-date'] = retainUntil.toISOString();
        }
        return result;
      },
      { step: 'deserialize', priority: 'low', name: 'emulateObjectLockRetention' },
    );
    try {
      const store = new S3ObjectStore({ client, bucket: BUCKET });
      await s3Store().put('audit/locked.json', Buffer.from('digest'), { retainUntil });
      await expect(store.delete('audit/locked.json')).rejects.toMatchObject({ code: ErrorCode.OBJECT_RETAINED });
      await expect(store.put('audit/locked.json', Buffer.from('forged'))).rejects.toThrow(ObjectRetainedError);
      expect(await store.get('audit/locked.json')).toEqual(Buffer.from('digest'));
    } finally {
      client.destroy();
    }
  });

  describe('presigned URLs', () => {
    const signedHeadersOf = (url: string): string[] => (new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');

    it('signs an upload with content type, exact length and SSE-KMS headers, which the client sends as given', async () => {
      const store = s3Store();
      const body = randomBytes(2048);
      const upload = await store.presignPut('tenant/attachments/presigned-put', {
        contentType: 'image/png', contentLength: body.length, expiresInSeconds: 900, kmsKeyId: 'alias/sealed-channels-test',
      });
      expect(upload.method).toBe('PUT');
      expect(upload.headers).toEqual({
        'content-type': 'image/png',
        'content-length': String(body.length),
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'alias/sealed-channels-test',
      });
      // Every header the client must send is signed, and the encryption headers stay headers (S3 ignores them hoisted).
      expect(signedHeadersOf(upload.url)).toEqual(expect.arrayContaining(Object.keys(upload.headers)));
      const query = new URL(upload.url).searchParams;
      expect(query.get('X-Amz-Expires')).toBe('900');
      expect([...query.keys()].filter((name) => name.toLowerCase().startsWith('x-amz-server-side-encryption'))).toEqual([]);
      // No checksum of an empty body signed in: the client's bytes could never match it.
      expect([...query.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
      expect(upload.expiresAt.getTime()).toBeGreaterThan(Date.now() + 890_000);
      expect(upload.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);

      const answer = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
      expect(answer.status).toBe(200);
      expect(await store.get('tenant/attachments/presigned-put')).toEqual(body);
    });

    it('sends no key id header when none is named (the bucket default KMS key)', async () => {
      const upload = await s3Store().presignPut('tenant/attachments/default-key', { contentType: 'application/pdf', contentLength: 5, expiresInSeconds: 60 });
      expect(upload.headers).toEqual({ 'content-type': 'application/pdf', 'content-length': '5', 'x-amz-server-side-encryption': 'aws:kms' });
      expect(signedHeadersOf(upload.url)).not.toContain('x-amz-server-side-encryption-aws-kms-key-id');
    });

    it('signs a download that answers with the given content type and disposition', async () => {
      const store = s3Store();
      const body = randomBytes(512);
      await store.put('tenant/attachments/presigned-get', body);
      const download = await store.presignGet('tenant/attachments/presigned-get', {
        expiresInSeconds: 300, responseContentType: 'application/dicom', responseContentDisposition: 'attachment',
      });
      expect(download).toMatchObject({ method: 'GET', headers: {} });
      expect(new URL(download.url).searchParams.get('X-Amz-Expires')).toBe('300');
      const answer = await fetch(download.url);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/dicom');
      expect(answer.headers.get('content-disposition')).toBe('attachment');
      expect(Buffer.from(await answer.arrayBuffer())).toEqual(body);
    });

    it('issues URLs that stop working once they expire', async () => {
      const store = s3Store();
      await store.put('tenant/attachments/expiring', Buffer.from('x'));
      const download = await store.presignGet('tenant/attachments/expiring', { expiresInSeconds: 1 });
      await sleep(2_100);
      expect((await fetch(download.url)).status).toBe(403);
    });

    it('refuses lifetimes S3 cannot sign', async () => {
      const store = s3Store();
      await expect(store.presignGet('k', { expiresInSeconds: 0 })).rejects.toThrow(RangeError);
      await expect(store.presignGet('k', { expiresInSeconds: 7 * 24 * 3600 + 1 })).rejects.toThrow(RangeError);
      await expect(store.presignPut('k', { contentType: 'image/png', contentLength: -1, expiresInSeconds: 60 })).rejects.toThrow(RangeError);
    });

    it('is the store itself', () => {
      const store = s3Store();
      expect(store.presigner).toBe(store);
    });
  });

  it('maps an unreachable endpoint to DependencyUnavailableError', async () => {
    const store = s3Store(`http://127.0.0.1:${await closedPort()}`);
    await expect(store.ping()).rejects.toThrow(DependencyUnavailableError);
    await expect(store.get('any')).rejects.toThrow(DependencyUnavailableError);
    await expect(store.put('any', Buffer.from('x'))).rejects.toThrow(DependencyUnavailableError);
  });

  it('maps a missing bucket to DependencyUnavailableError on ping', async () => {
    const store = new S3ObjectStore({
      bucket: 'no-such-bucket',
      region: 'us-east-1',
      endpoint: s3Endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    await expect(store.ping()).rejects.toMatchObject({ code: ErrorCode.DEPENDENCY_UNAVAILABLE, details: { dependency: 'object-store' } });
  });
});
