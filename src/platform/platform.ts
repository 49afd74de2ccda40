import { join, resolve } from 'node:path';
import { Logger as PinoLogger } from 'pino';
import { AppConfig, embeddedDefaults } from '../config/app-config';
import { scheduleAuditSealing } from './audit/audit-sealing.job';
import { AuditSealer } from './audit/audit.sealer';
import { AuditVerifier } from './audit/audit.verifier';
import { AuditWriter } from './audit/audit.writer';
import { SigningKeyRepository } from './auth/signing-key.repository';
import { SigningKeyRing } from './auth/signing-keys';
import { Cache } from './cache/cache.port';
import { MemoryCache } from './cache/memory.cache';
import { createRedisClient, RedisCache } from './cache/redis.cache';
import { AwsKmsKeyProvider } from './crypto/aws-kms.key-provider';
import { DataKeyCache } from './crypto/data-key-cache';
import { KeyProvider } from './crypto/key-provider.port';
import { LocalKeyringKeyProvider } from './crypto/local-keyring.key-provider';
import { TenantKeys, VersionedKey } from './crypto/tenant-keys';
import { createDataSources, DataSources, destroyDataSources, initializeDataSources } from './database/data-sources';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { TenantTransactions } from './database/tenant-transactions';
import { JobQueue } from './jobs/job-queue.port';
import { PgBossJobQueue } from './jobs/pg-boss.job-queue';
import { SystemScope } from './jobs/system-scope';
import { HealthIndicator } from './observability/health-indicator';
import { PersistenceKit } from './persistence/tenant-scoped.repository';
import { RateLimiters } from './rate-limit/rate-limiters';
import { TenantDirectory } from './persistence/tenant-directory';
import { CentrifugoPublisher } from './realtime/centrifugo.publisher';
import { InProcessPublisher } from './realtime/in-process.publisher';
import { RealtimePublisher } from './realtime/realtime-publisher.port';
import { LocalObjectStore } from './storage/local.object-store';
import { ObjectStore } from './storage/object-store.port';
import { S3ObjectStore } from './storage/s3.object-store';

/** Everything the product stands on, built once per process (API server, CLI, jobs, tests). */
export interface Platform {
  config: AppConfig;
  dataSources: DataSources;
  transactions: TenantTransactions;
  keyProvider: KeyProvider;
  keys: TenantKeys;
  audit: AuditWriter;
  auditSealer: AuditSealer;
  auditVerifier: AuditVerifier;
  persistence: PersistenceKit;
  tenantDirectory: TenantDirectory;
  cache: Cache;
  /** Shared counters (Redis with a per-process fallback, or memory alone). */
  rateLimiters: RateLimiters;
  /** The service's JWT signing keys (ES256), sealed at rest. */
  signingKeys: SigningKeyRing;
  objectStore: ObjectStore;
  realtime: RealtimePublisher;
  /** Durable jobs: declared here, worked only once started (the API server starts it; CLI commands do not). */
  jobs: JobQueue;
  /** Work across tenants as the named system actor (for example "audit-sealer"), one tenant scope at a time. */
  systemScope(actor: string): SystemScope;
  healthIndicators: HealthIndicator[];
  close(): Promise<void>;
}

export interface PlatformOverrides {
  /** Tests inject a KMS adapter over a mocked client here. */
  keyProvider?: KeyProvider;
}

const embeddedBackends: Record<string, string> = {
  database: 'embedded-postgres under DATA_DIR/pg (set DATABASE_URL)',
  keys: 'local keyring DATA_DIR/keyring/master.key (set KMS_KEY_ID)',
  storage: 'local directory DATA_DIR/objects (set S3_BUCKET)',
  cache: 'in-memory, single process only (set REDIS_URL)',
  realtime: 'in-process publisher (set CENTRIFUGO_API_URL)',
};

export async function createPlatform(config: AppConfig, logger: PinoLogger, overrides: PlatformOverrides = {}): Promise<Platform> {
  for (const port of embeddedDefaults(config)) {
    logger.warn({ port, backend: embeddedBackends[port] }, `EMBEDDED DEFAULT in use for ${port}: not for production`);
  }
  const dataDir = resolve(config.DATA_DIR);
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
  };

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'pg'),
        port: config.EMBEDDED_POSTGRES_PORT,
        database: 'sealed_channels',
        onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
      });
      closers.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    const dataSources = createDataSources(databaseUrl, {
      app: config.DATABASE_POOL_SIZE,
      keys: config.DATABASE_KEY_POOL_SIZE,
      acquireTimeoutMs: config.DATABASE_ACQUIRE_TIMEOUT_MS,
    });
    closers.push(() => destroyDataSources(dataSources));
    await initializeDataSources(dataSources, config.MIGRATIONS_RUN);

    const transactions = TenantTransactions.over(dataSources.app);
    const keyTransactions = TenantTransactions.over(dataSources.keys);
    const keyProvider = overrides.keyProvider ?? (config.KMS_KEY_ID
      ? AwsKmsKeyProvider.create({ keyId: config.KMS_KEY_ID, region: config.AWS_REGION, endpoint: config.KMS_ENDPOINT })
      : new LocalKeyringKeyProvider(join(dataDir, 'keyring', 'master.key')));
    const keys = new TenantKeys(keyTransactions, keyProvider, new DataKeyCache<VersionedKey>({
      maxAgeMs: config.DATA_KEY_CACHE_MAX_AGE_MS,
      maxUses: config.DATA_KEY_CACHE_MAX_USES,
      maxEntries: config.DATA_KEY_CACHE_MAX_ENTRIES,
    }));
    const audit = new AuditWriter(keys, dataSources.app, {
      batchWindowMs: config.AUDIT_BATCH_WINDOW_MS,
      maxBatchSize: 500,
      maxConcurrentBatches: Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 4)),
    });

    const redis = config.REDIS_URL
      ? createRedisClient({ url: config.REDIS_URL, onError: (error) => logger.warn({ component: 'redis', err: error.message }, 'redis connection error') })
      : undefined;
    if (redis) closers.push(async () => { await redis.quit().catch(() => redis.disconnect()); });
    const cache: Cache = redis ? new RedisCache(redis) : new MemoryCache();
    closers.push(() => cache.close());
    const objectStore: ObjectStore = config.S3_BUCKET
      ? new S3ObjectStore({ bucket: config.S3_BUCKET, region: config.AWS_REGION ?? 'us-east-1', endpoint: config.S3_ENDPOINT, forcePathStyle: config.S3_FORCE_PATH_STYLE })
      : new LocalObjectStore({ root: join(dataDir, 'objects') });
    const realtime: RealtimePublisher = config.CENTRIFUGO_API_URL && config.CENTRIFUGO_API_KEY
      ? new CentrifugoPublisher({ apiUrl: config.CENTRIFUGO_API_URL, apiKey: config.CENTRIFUGO_API_KEY })
      : new InProcessPublisher();

    const jobs = new PgBossJobQueue({
      databaseUrl,
      poolSize: config.JOBS_POOL_SIZE,
      pollIntervalMs: config.JOBS_POLL_INTERVAL_MS,
      stuckAfterMs: config.JOBS_STUCK_AFTER_MS,
      logger,
    });
    closers.push(() => jobs.stop());
    const auditSealer = new AuditSealer(dataSources.owner, keys);
    scheduleAuditSealing(jobs, auditSealer, config.AUDIT_SEAL_INTERVAL_MS);

    const databaseBackend = config.DATABASE_URL ? 'postgres' : 'embedded-postgres';
    const healthIndicators: HealthIndicator[] = [
      {
        component: 'database',
        check: async () => { await dataSources.app.query('SELECT 1'); return { backend: databaseBackend }; },
        details: () => ({ pool: transactions.stats, keyPool: keyTransactions.stats }),
      },
      { component: 'keys', check: async () => { await keyProvider.ping(); return { backend: keyProvider.backend }; } },
      { component: 'cache', check: async () => { await cache.ping(); return { backend: cache.backend }; } },
      { component: 'storage', check: async () => { await objectStore.ping(); return { backend: objectStore.backend }; } },
      { component: 'realtime', check: async () => { await realtime.ping(); return { backend: realtime.backend }; } },
      { component: 'jobs', check: () => jobs.check() },
    ];

    const persistence = new PersistenceKit(transactions, keys, audit);
    return {
      config,
      dataSources,
      transactions,
      keyProvider,
      keys,
      audit,
      auditSealer,
      auditVerifier: new AuditVerifier(transactions, keys),
      persistence,
      tenantDirectory: new TenantDirectory(dataSources.app),
      cache,
      rateLimiters: new RateLimiters(redis),
      signingKeys: new SigningKeyRing(new SigningKeyRepository(persistence)),
      objectStore,
      realtime,
      jobs,
      systemScope: (actor) => new SystemScope(actor, dataSources.app, transactions),
      healthIndicators,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
