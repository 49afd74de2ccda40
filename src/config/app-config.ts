import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Max, Min, MinLength, validateSync } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
const emptyAsAbsent = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/**
 * Every setting the service reads, validated once at boot. Absent production settings select the embedded
 * default for that port (refused under NODE_ENV=production). README.md lists each one.
 */
export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInteger) @IsInt() @Min(1) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toBoolean) @IsBoolean()
  TRUST_PROXY = false;

  @Transform(toInteger) @IsInt() @Min(1024) @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Directory for every embedded default (postgres, keyring, objects). */
  @IsString()
  DATA_DIR = '.data';

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false })
  DATABASE_URL?: string;

  @Transform(toInteger) @IsInt() @Min(1) @Max(65535)
  EMBEDDED_POSTGRES_PORT = 54329;

  @Transform(toInteger) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 20;

  /** Connections reserved for loading tenant data keys, beside the request pool (never taken from it). */
  @Transform(toInteger) @IsInt() @Min(1) @Max(20)
  DATABASE_KEY_POOL_SIZE = 2;

  /** A request that finds no free connection within this time answers 503 DEPENDENCY_UNAVAILABLE with Retry-After. */
  @Transform(toInteger) @IsInt() @Min(100) @Max(60_000)
  DATABASE_ACQUIRE_TIMEOUT_MS = 5_000;

  @Transform(toBoolean) @IsBoolean()
  MIGRATIONS_RUN = true;

  @Transform(emptyAsAbsent) @IsOptional() @IsString() @MinLength(1)
  KMS_KEY_ID?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsString()
  AWS_REGION?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ require_tld: false })
  KMS_ENDPOINT?: string;

  @Transform(toInteger) @IsInt() @Min(1000)
  DATA_KEY_CACHE_MAX_AGE_MS = 5 * 60 * 1000;

  @Transform(toInteger) @IsInt() @Min(1)
  DATA_KEY_CACHE_MAX_USES = 1_000_000;

  @Transform(toInteger) @IsInt() @Min(1)
  DATA_KEY_CACHE_MAX_ENTRIES = 10_000;

  @Transform(emptyAsAbsent) @IsOptional() @IsString() @MinLength(3)
  S3_BUCKET?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ require_tld: false })
  S3_ENDPOINT?: string;

  @Transform(toBoolean) @IsBoolean()
  S3_FORCE_PATH_STYLE = false;

  /**
   * The origin clients reach this API at (scheme, host, port, optional path prefix), for the links the service signs
   * itself (attachment transfers with the embedded object store). Default: http://localhost:<PORT>.
   */
  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false })
  REDIS_URL?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ require_tld: false })
  CENTRIFUGO_API_URL?: string;

  @Transform(emptyAsAbsent) @IsOptional() @IsString() @MinLength(16)
  CENTRIFUGO_API_KEY?: string;

  @Transform(toInteger) @IsInt() @Min(100)
  AUDIT_SEAL_INTERVAL_MS = 5000;

  @Transform(toInteger) @IsInt() @Min(0) @Max(100)
  AUDIT_BATCH_WINDOW_MS = 0;

  /** Connections of the job queue's own pool (pg-boss, as the role sealed_jobs), beside DATABASE_POOL_SIZE. */
  @Transform(toInteger) @IsInt() @Min(2) @Max(50)
  JOBS_POOL_SIZE = 4;

  /** How often an idle worker asks for a job; also the lateness of a recurring job at most. */
  @Transform(toInteger) @IsInt() @Min(500) @Max(60_000)
  JOBS_POLL_INTERVAL_MS = 2000;

  /** A job that could run has waited this long and no job of its queue finished meanwhile: stuck, /health/ready fails. */
  @Transform(toInteger) @IsInt() @Min(1000)
  JOBS_STUCK_AFTER_MS = 10 * 60 * 1000;

  @Transform(emptyAsAbsent) @IsOptional() @IsUrl({ require_tld: false })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** The `iss` of every access token, enforced on verification. */
  @IsString() @Length(1, 200)
  JWT_ISSUER = 'urn:sealed-channels';

  /** The `aud` of every access token, enforced on verification. */
  @IsString() @Length(1, 200)
  JWT_AUDIENCE = 'sealed-channels-api';

  /** How long a revoked session's access tokens may still pass on another instance (per-process cache). */
  @Transform(toInteger) @IsInt() @Min(0) @Max(5000)
  SESSION_CHECK_CACHE_MS = 2000;

  /** Failed logins per account and IP before each further failure doubles a delay (1 s, 2 s, 4 s … 15 min). */
  @Transform(toInteger) @IsInt() @Min(1) @Max(1000)
  LOGIN_FREE_FAILURES = 5;

  /** Failed logins per IP (any account) in 15 minutes before that IP is refused for the rest of the window. */
  @Transform(toInteger) @IsInt() @Min(1) @Max(1_000_000)
  LOGIN_MAX_FAILURES_PER_IP = 100;
}

export interface ConfigProblem {
  setting: string;
  problem: string;
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.setting}: ${p.problem}`).join('; ')}`);
  }
}

/** The production backend each port needs under NODE_ENV=production; absent means the embedded default. */
const productionSettings = ['DATABASE_URL', 'KMS_KEY_ID', 'AWS_REGION', 'S3_BUCKET', 'REDIS_URL', 'CENTRIFUGO_API_URL', 'CENTRIFUGO_API_KEY'] as const;

const settingNames = new Set(Object.keys(new AppConfig()).concat(productionSettings, ['KMS_ENDPOINT', 'S3_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'PUBLIC_BASE_URL']));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.fromEntries(Object.entries(env).filter(([name]) => settingNames.has(name)));
  const config = plainToInstance(AppConfig, known);
  const problems: ConfigProblem[] = validateSync(config, { forbidUnknownValues: true }).map((error) => ({
    setting: error.property,
    problem: Object.values(error.constraints ?? {}).join(', ') || 'invalid',
  }));
  if (config.NODE_ENV === 'production') {
    for (const setting of productionSettings) {
      if (config[setting] === undefined && !problems.some((p) => p.setting === setting)) {
        problems.push({ setting, problem: 'required when NODE_ENV=production (embedded defaults are refused)' });
      }
    }
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return config;
}

/** PUBLIC_BASE_URL without a trailing slash, or the default http://localhost:<PORT>. */
export function publicBaseUrl(config: AppConfig): string {
  return (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

export type EmbeddedDefault = 'database' | 'keys' | 'storage' | 'cache' | 'realtime';

/** The ports that will run on their embedded default; each is logged as a warning at boot. */
export function embeddedDefaults(config: AppConfig): EmbeddedDefault[] {
  const embedded: EmbeddedDefault[] = [];
  if (!config.DATABASE_URL) embedded.push('database');
  if (!config.KMS_KEY_ID) embedded.push('keys');
  if (!config.S3_BUCKET) embedded.push('storage');
  if (!config.REDIS_URL) embedded.push('cache');
  if (!config.CENTRIFUGO_API_URL) embedded.push('realtime');
  return embedded;
}
