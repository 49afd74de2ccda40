import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real S3-protocol server (s3rver) on a free loopback port, with one bucket, in a scratch directory. */
export interface RunningS3rver {
  endpoint: string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver ships no type declarations, so it is loaded untyped and narrowed here. */
function loadS3rver(): S3rverConstructor {
  const loaded: unknown = createRequire(__filename)('s3rver');
  if (typeof loaded !== 'function') throw new Error('s3rver did not export a constructor');
  return loaded as S3rverConstructor;
}

export function portOf(address: unknown): number {
  if (typeof address === 'object' && address !== null && 'port' in address && typeof address.port === 'number') return address.port;
  throw new Error('expected a TCP address');
}

export async function startS3rver(bucket: string): Promise<RunningS3rver> {
  const directory = mkdtempSync(join(tmpdir(), 'sealed-channels-s3rver-'));
  const S3rver = loadS3rver();
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const endpoint = `http://127.0.0.1:${portOf(await server.run())}`;
  return {
    endpoint,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
