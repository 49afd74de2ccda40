import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { access, constants, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError, DependencyUnavailableError, ErrorCode } from '../errors';
import { assertValidRange, ObjectHead, ObjectRetainedError, ObjectStore, PutObjectOptions } from './object-store.port';

export interface LocalObjectStoreOptions {
  root: string;
}

/** Keys are chosen by the service, never by a client: an unsafe key is a bug, not a bad request. */
export class UnsafeObjectKeyError extends AppError {
  constructor() {
    super(ErrorCode.INTERNAL, 'The object key is not a safe relative path.');
  }
}

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * The embedded default: a directory. Objects, retention sidecars and temp files live in separate
 * subtrees so that no object key can collide with bookkeeping files.
 */
export class LocalObjectStore implements ObjectStore {
  readonly backend = 'local';
  /** Nothing outside this process can reach a directory: the application serves local objects itself. */
  readonly presigner = null;
  private readonly objectsDir: string;
  private readonly retentionDir: string;
  private readonly tmpDir: string;

  constructor(options: LocalObjectStoreOptions) {
    this.objectsDir = join(options.root, 'objects');
    this.retentionDir = join(options.root, 'retention');
    this.tmpDir = join(options.root, 'tmp');
    mkdirSync(options.root, { recursive: true, mode: PRIVATE_DIR });
    for (const dir of [this.objectsDir, this.retentionDir, this.tmpDir]) {
      mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    }
  }

  async put(key: string, body: Buffer, options: PutObjectOptions = {}): Promise<void> {
    assertSafeKey(key);
    await this.assertNotRetained(key);
    await this.guard(async () => {
      if (options.retainUntil) {
        // The sidecar lands first: a crash in between leaves retention without an object, never the reverse.
        await this.writeAtomically(this.retentionPath(key), Buffer.from(JSON.stringify({ retainUntil: options.retainUntil.toISOString() })));
      } else {
        await rm(this.retentionPath(key), { force: true });
      }
      await this.writeAtomically(this.objectPath(key), body);
    });
  }

  async get(key: string): Promise<Buffer | null> {
    assertSafeKey(key);
    return this.guard(async () => {
      try {
        return await readFile(this.objectPath(key));
      } catch (error: unknown) {
        if (isMissing(error)) return null;
        throw error;
      }
    });
  }

  async head(key: string): Promise<ObjectHead | null> {
    assertSafeKey(key);
    return this.guard(async () => {
      try {
        const stats = await stat(this.objectPath(key));
        return stats.isFile() ? { size: stats.size } : null;
      } catch (error: unknown) {
        if (isMissing(error)) return null;
        throw error;
      }
    });
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer | null> {
    assertSafeKey(key);
    assertValidRange(start, end);
    return this.guard(async () => {
      let handle;
      try {
        handle = await open(this.objectPath(key), 'r');
      } catch (error: unknown) {
        if (isMissing(error)) return null;
        throw error;
      }
      try {
        const length = Math.max(0, Math.min(end, (await handle.stat()).size) - start);
        const buffer = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await handle.close();
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    assertSafeKey(key);
    return this.guard(async () => {
      try {
        return (await stat(this.objectPath(key))).isFile();
      } catch (error: unknown) {
        if (isMissing(error)) return false;
        throw error;
      }
    });
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.assertNotRetained(key);
    await this.guard(async () => {
      await rm(this.objectPath(key), { force: true });
      await rm(this.retentionPath(key), { force: true });
    });
  }

  async ping(): Promise<void> {
    await this.guard(() => access(this.objectsDir, constants.R_OK | constants.W_OK));
  }

  private async assertNotRetained(key: string): Promise<void> {
    const retainUntil = await this.guard(() => this.readRetention(key));
    if (retainUntil && retainUntil.getTime() > Date.now()) {
      throw new ObjectRetainedError(retainUntil);
    }
  }

  private async readRetention(key: string): Promise<Date | null> {
    let raw: string;
    try {
      raw = await readFile(this.retentionPath(key), 'utf8');
    } catch (error: unknown) {
      if (isMissing(error)) return null;
      throw error;
    }
    return parseRetention(raw);
  }

  private async writeAtomically(target: string, body: Buffer): Promise<void> {
    const tmp = join(this.tmpDir, randomUUID());
    const handle = await open(tmp, 'wx', PRIVATE_FILE);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await mkdir(dirname(target), { recursive: true, mode: PRIVATE_DIR });
      await rename(tmp, target);
    } catch (error: unknown) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  private objectPath(key: string): string {
    return join(this.objectsDir, key);
  }

  private retentionPath(key: string): string {
    return join(this.retentionDir, `${key}.json`);
  }

  /** Filesystem failures become one dependency error; the store's own AppErrors pass through. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error: unknown) {
      if (error instanceof AppError) throw error;
      throw new DependencyUnavailableError('object-store');
    }
  }
}

export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  const unsafe =
    key.length === 0 ||
    key.includes('\0') ||
    key.includes('\\') ||
    key.startsWith('/') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (unsafe) throw new UnsafeObjectKeyError();
}

function parseRetention(raw: string): Date {
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed === 'object' && parsed !== null && 'retainUntil' in parsed && typeof parsed.retainUntil === 'string') {
    const retainUntil = new Date(parsed.retainUntil);
    if (!Number.isNaN(retainUntil.getTime())) return retainUntil;
  }
  // An unreadable sidecar must not unlock the object: treat it as retained for as long as it exists.
  return new Date(8.64e15);
}

const MISSING_CODES: ReadonlySet<unknown> = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/** Structural, not instanceof: errors from Node internals may come from another realm (as under Jest). */
function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && MISSING_CODES.has(error.code);
}
