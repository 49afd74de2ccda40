/**
 * seals/s and opens/s through the field cipher vs raw node:crypto AES-256-GCM in the same run. Target ≥ 80 %.
 *
 *   npm run bench:seal                  (BENCH_SECONDS per measurement, default 2; BENCH_ROUNDS, default 3)
 *
 * Raw:          createCipheriv('aes-256-gcm', key, randomBytes(12)) + update + final + getAuthTag, and the matching
 *               createDecipheriv + setAuthTag + update + final. No AAD, no envelope.
 * Field cipher: the hot path of a sealed column: DataKeyCache.take on a warm entry (cache key built per call, as
 *               TenantKeys does), then seal(key, version, plaintext, location); for open, sealedKeyVersion +
 *               DataKeyCache.take + open(key, envelope, location). The cache has the production limits, so an entry
 *               retiring after DATA_KEY_CACHE_MAX_USES uses is reloaded inside the timed loop.
 *
 * Each measurement runs for a fixed time; raw and cipher alternate across rounds and the best round is the figure.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, randomFillSync } from 'node:crypto';
import { cpus } from 'node:os';
import { AppConfig } from '../src/config/app-config';
import { DataKeyCache } from '../src/platform/crypto/data-key-cache';
import { open, seal, sealedKeyVersion, SealLocation } from '../src/platform/crypto/field-cipher';
import { VersionedKey } from '../src/platform/crypto/tenant-keys';
import { benchSeconds, formatInt, median, nowMs, positiveNumberFromEnv, round, table, verdict, Verdict } from './bench-support';

const TARGET_PERCENT = 80;
const CHECK_CLOCK_EVERY = 64;

/** One operation; returns a number folded into a sink (so nothing is optimised away), or -1 when a key must be reloaded. */
type Op = () => number;

interface Variant {
  name: string;
  op: Op;
  reload: () => Promise<void>;
}

interface Measurement {
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
}

interface PairResult {
  rawRounds: number[];
  cipherRounds: number[];
  rawOpsPerSec: number;
  cipherOpsPerSec: number;
  ratioPercent: number;
  verdict: Verdict;
}

let sink = 0;

async function measure(variant: Variant, seconds: number): Promise<Measurement> {
  const durationMs = seconds * 1000;
  const start = nowMs();
  const deadline = start + durationMs;
  let ops = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < CHECK_CLOCK_EVERY; i += 1) {
      const result = variant.op();
      if (result < 0) {
        await variant.reload();
        continue;
      }
      sink += result;
      ops += 1;
    }
    now = nowMs();
  }
  const elapsedMs = now - start;
  return { ops, elapsedMs, opsPerSec: (ops * 1000) / elapsedMs };
}

/** Runs every variant once per round, rotating who goes first; returns each variant's ops/s per round. */
async function compare(variants: readonly Variant[], seconds: number, rounds: number): Promise<Map<Variant, number[]>> {
  const results = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r += 1) {
    for (let i = 0; i < variants.length; i += 1) {
      const variant = variants[(r + i) % variants.length];
      results.get(variant)?.push((await measure(variant, seconds)).opsPerSec);
    }
  }
  return results;
}

function pairResult(results: Map<Variant, number[]>, raw: Variant, cipher: Variant): PairResult {
  const rawRounds = results.get(raw) ?? [];
  const cipherRounds = results.get(cipher) ?? [];
  const rawOpsPerSec = Math.max(...rawRounds);
  const cipherOpsPerSec = Math.max(...cipherRounds);
  const ratioPercent = (cipherOpsPerSec / rawOpsPerSec) * 100;
  return { rawRounds, cipherRounds, rawOpsPerSec, cipherOpsPerSec, ratioPercent, verdict: verdict(ratioPercent, TARGET_PERCENT) };
}

const noReload = (): Promise<void> => Promise.resolve();

async function main(): Promise<void> {
  const seconds = benchSeconds(2);
  const rounds = Math.round(positiveNumberFromEnv('BENCH_ROUNDS', 3));
  const warmupSeconds = Math.min(0.5, seconds / 4);

  // A realistic PHI message body, ~200 bytes of UTF-8.
  const plaintext = 'Hi Dr. Patel, this is Maria Gonzalez (DOB 03/14/1978). My A1C came back at 7.9 and the metformin '
    + 'is upsetting my stomach again. Can we switch to extended-release before my refill on 11/28? Thanks, M.';
  const plaintextBytes = Buffer.byteLength(plaintext, 'utf8');
  const location: SealLocation = {
    tenantId: '6f1c3b9e-2d4a-4c8e-9b7f-1a2b3c4d5e6f',
    table: 'message',
    column: 'body_sealed',
    rowId: '0b8f6a2e-5c1d-4e3f-8a9b-7c6d5e4f3a2b',
  };

  const keyBytes = randomBytes(32);
  const rawKey = Buffer.from(keyBytes);
  const versioned: VersionedKey = { version: 1, key: createSecretKey(keyBytes) };
  keyBytes.fill(0);

  // Production cache limits (AppConfig defaults), warmed once before timing.
  const defaults = new AppConfig();
  const cache = new DataKeyCache<VersionedKey>({
    maxAgeMs: defaults.DATA_KEY_CACHE_MAX_AGE_MS,
    maxUses: defaults.DATA_KEY_CACHE_MAX_USES,
    maxEntries: defaults.DATA_KEY_CACHE_MAX_ENTRIES,
  });
  const load = (): Promise<VersionedKey> => Promise.resolve(versioned);
  let reloads = 0;
  const reload = async (): Promise<void> => {
    reloads += 1;
    await cache.use(`${location.tenantId}:data:current`, load);
    await cache.use(`${location.tenantId}:data:v${versioned.version}`, load);
  };
  await reload();
  reloads = 0;

  // Fixed inputs for the open side, and a round-trip check of both paths before anything is timed.
  const envelope = seal(versioned.key, versioned.version, plaintext, location);
  if (open(versioned.key, envelope, location) !== plaintext) throw new Error('field cipher round trip failed');
  const rawIv = randomBytes(12);
  const rawCipher = createCipheriv('aes-256-gcm', rawKey, rawIv);
  const rawBody = Buffer.concat([rawCipher.update(plaintext, 'utf8'), rawCipher.final()]);
  const rawTag = rawCipher.getAuthTag();
  {
    const check = createDecipheriv('aes-256-gcm', rawKey, rawIv).setAuthTag(rawTag);
    if (check.update(rawBody, undefined, 'utf8') + check.final('utf8') !== plaintext) throw new Error('raw round trip failed');
  }

  const rawSeal: Variant = {
    name: 'raw seal',
    op: () => {
      const cipher = createCipheriv('aes-256-gcm', rawKey, randomBytes(12));
      const body = cipher.update(plaintext, 'utf8');
      const final = cipher.final();
      return body.length + final.length + cipher.getAuthTag().length;
    },
    reload: noReload,
  };
  const cipherSeal: Variant = {
    name: 'field cipher seal',
    op: () => {
      const key = cache.take(`${location.tenantId}:data:current`);
      if (key === undefined) return -1;
      return seal(key.key, key.version, plaintext, location).length;
    },
    reload,
  };
  // Informational: raw with IVs drawn from a pooled CSPRNG buffer, as the field cipher does. randomBytes(12) per
  // seal is a syscall-sized cost of its own, so this isolates what the envelope, AAD and key lookup cost.
  const rawIvPool = Buffer.allocUnsafe(12 * 1024);
  let rawIvOffset = rawIvPool.length;
  const rawSealPooledIv: Variant = {
    name: 'raw seal, pooled IVs',
    op: () => {
      if (rawIvOffset >= rawIvPool.length) {
        randomFillSync(rawIvPool);
        rawIvOffset = 0;
      }
      const iv = rawIvPool.subarray(rawIvOffset, rawIvOffset + 12);
      rawIvOffset += 12;
      const cipher = createCipheriv('aes-256-gcm', rawKey, iv);
      const body = cipher.update(plaintext, 'utf8');
      const final = cipher.final();
      return body.length + final.length + cipher.getAuthTag().length;
    },
    reload: noReload,
  };
  const rawOpen: Variant = {
    name: 'raw open',
    op: () => {
      const decipher = createDecipheriv('aes-256-gcm', rawKey, rawIv).setAuthTag(rawTag);
      return (decipher.update(rawBody, undefined, 'utf8') + decipher.final('utf8')).length;
    },
    reload: noReload,
  };
  const cipherOpen: Variant = {
    name: 'field cipher open',
    op: () => {
      const key = cache.take(`${location.tenantId}:data:v${sealedKeyVersion(envelope)}`);
      if (key === undefined) return -1;
      return open(key.key, envelope, location).length;
    },
    reload,
  };

  console.log(`seal bench: AES-256-GCM, ${plaintextBytes}-byte plaintext, ${seconds} s per measurement, ${rounds} rounds `
    + `(raw/cipher alternating), best round reported; node ${process.version}, ${cpus().length} CPUs`);

  for (const variant of [rawSeal, rawSealPooledIv, cipherSeal, rawOpen, cipherOpen]) await measure(variant, warmupSeconds);

  const sealRuns = await compare([rawSeal, cipherSeal, rawSealPooledIv], seconds, rounds);
  const openRuns = await compare([rawOpen, cipherOpen], seconds, rounds);
  const sealResult = pairResult(sealRuns, rawSeal, cipherSeal);
  const openResult = pairResult(openRuns, rawOpen, cipherOpen);
  const pooledResult = pairResult(sealRuns, rawSealPooledIv, cipherSeal);

  const rows: string[][] = [['op', 'raw ops/s', 'field cipher ops/s', 'ratio', 'target', 'result']];
  const labelled = [['seal', sealResult], ['open', openResult]] as const;
  for (const [name, result] of labelled) {
    rows.push([name, formatInt(result.rawOpsPerSec), formatInt(result.cipherOpsPerSec), `${result.ratioPercent.toFixed(1)} %`,
      `>= ${TARGET_PERCENT} %`, result.verdict]);
  }
  rows.push(['seal vs raw with pooled IVs (info)', formatInt(pooledResult.rawOpsPerSec), formatInt(pooledResult.cipherOpsPerSec),
    `${pooledResult.ratioPercent.toFixed(1)} %`, '-', '-']);
  console.log('');
  console.log(table(rows));
  console.log('');
  const describe = (runs: readonly number[]): string => `${runs.map(formatInt).join(', ')} (median ${formatInt(median(runs))})`;
  for (const [name, result] of labelled) {
    console.log(`${name} ops/s per round  raw: ${describe(result.rawRounds)}  field cipher: ${describe(result.cipherRounds)}`);
  }
  console.log(`seal ops/s per round  raw, pooled IVs: ${describe(pooledResult.rawRounds)}`);
  console.log('raw = createCipheriv + randomBytes(12) per seal (as specified), no AAD/envelope; field cipher = DataKeyCache.take + seal/open '
    + 'with AAD and envelope (IVs from a pooled CSPRNG buffer).');
  console.log(`data-key cache reloads inside timed loops (entry retires after ${formatInt(defaults.DATA_KEY_CACHE_MAX_USES)} uses): ${reloads}; `
    + `checksum ${sink % 1_000_003}`);

  const summarize = (result: PairResult): Record<string, unknown> => ({
    rawOpsPerSec: Math.round(result.rawOpsPerSec),
    cipherOpsPerSec: Math.round(result.cipherOpsPerSec),
    ratioPercent: round(result.ratioPercent, 1),
    targetPercent: TARGET_PERCENT,
    verdict: result.verdict,
    rawRounds: result.rawRounds.map(Math.round),
    cipherRounds: result.cipherRounds.map(Math.round),
  });
  console.log(JSON.stringify({
    bench: 'seal',
    seconds,
    rounds,
    statistic: 'best round',
    plaintextBytes,
    node: process.version,
    cpus: cpus().length,
    seal: summarize(sealResult),
    open: summarize(openResult),
    sealVsRawPooledIv: { rawOpsPerSec: Math.round(pooledResult.rawOpsPerSec), ratioPercent: round(pooledResult.ratioPercent, 1) },
    keyCacheReloads: reloads,
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
