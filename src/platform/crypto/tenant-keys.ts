import { createSecretKey, KeyObject } from 'node:crypto';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';
import { DataKeyCache } from './data-key-cache';
import { SealOpenError } from './field-cipher';
import { KeyProvider } from './key-provider.port';

/** data: seals PHI fields; index: blind indexes (never rotated without a reindex); audit: audit-row MACs. */
export type KeyPurpose = 'data' | 'index' | 'audit';

export interface VersionedKey {
  version: number;
  key: KeyObject;
}

interface TenantKeyRow {
  version: number;
  wrapped_key: Buffer;
  key_ref: string;
}

/**
 * Each tenant's data keys, one per purpose and version, stored wrapped in tenant_key and opened through the
 * KeyProvider only on a cache miss. New writes use the newest version; older versions stay readable.
 *
 * `transactions` must run on a pool of its own, never the one requests hold their transactions on: a request
 * that needs a key while holding a connection must never wait for a connection of the same pool (issue 19).
 */
export class TenantKeys {
  constructor(
    private readonly transactions: TenantTransactions,
    private readonly provider: KeyProvider,
    private readonly cache: DataKeyCache<VersionedKey>,
  ) {}

  /** The key new values are sealed with, created on first use. */
  current(tenantId: string, purpose: KeyPurpose): Promise<VersionedKey> {
    return this.cache.use(currentKey(tenantId, purpose), () => this.loadCurrent(tenantId, purpose));
  }

  /** Key loads so far (cold misses, retirements, refreshes ahead), for the benchmarks and metrics. */
  get loads(): number {
    return this.cache.stats.loads;
  }

  /** The key a stored value names by version. */
  version(tenantId: string, purpose: KeyPurpose, version: number): Promise<VersionedKey> {
    return this.cache.use(`${tenantId}:${purpose}:v${version}`, () => this.loadVersion(tenantId, purpose, version));
  }

  /** Adds a new version; this process seals with it at once, others when their cached current key retires. */
  async rotate(tenantId: string, purpose: KeyPurpose): Promise<number> {
    const generated = await this.provider.generateDataKey(tenantId);
    const version = await this.transactions.runDetached(tenantId, async (tx) => {
      const { rows } = await tx.query<{ version: number }>(
        `INSERT INTO tenant_key (tenant_id, purpose, version, wrapped_key, key_ref)
         SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4 FROM tenant_key WHERE tenant_id = $1 AND purpose = $2
         RETURNING version`,
        [tenantId, purpose, generated.wrapped, generated.keyRef],
      );
      return rows[0].version;
    });
    this.cache.evict(currentKey(tenantId, purpose));
    return version;
  }

  /** The current key is also its own version: stored under both names, it is opened once. */
  private async loadCurrent(tenantId: string, purpose: KeyPurpose): Promise<VersionedKey> {
    const current = await this.loadOrCreateCurrent(tenantId, purpose);
    this.cache.prime(`${tenantId}:${purpose}:v${current.version}`, current);
    return current;
  }

  private async loadOrCreateCurrent(tenantId: string, purpose: KeyPurpose): Promise<VersionedKey> {
    const existing = await this.transactions.runDetached(tenantId, (tx) => latest(tx, tenantId, purpose));
    if (existing) return this.unwrap(tenantId, existing);

    const generated = await this.provider.generateDataKey(tenantId);
    const winner = await this.transactions.runDetached(tenantId, async (tx) => {
      await tx.query(
        `INSERT INTO tenant_key (tenant_id, purpose, version, wrapped_key, key_ref) VALUES ($1, $2, 1, $3, $4)
         ON CONFLICT DO NOTHING`,
        [tenantId, purpose, generated.wrapped, generated.keyRef],
      );
      return latest(tx, tenantId, purpose);
    });
    if (!winner || !winner.wrapped_key.equals(generated.wrapped)) {
      // Another process created the first key at the same moment: use the stored one.
      return winner ? this.unwrap(tenantId, winner) : Promise.reject(new Error('tenant key vanished'));
    }
    return { version: winner.version, key: toKeyObject(generated.plaintext) };
  }

  private async loadVersion(tenantId: string, purpose: KeyPurpose, version: number): Promise<VersionedKey> {
    const row = await this.transactions.runDetached(tenantId, async (tx) => {
      const { rows } = await tx.query<TenantKeyRow>(
        'SELECT version, wrapped_key, key_ref FROM tenant_key WHERE tenant_id = $1 AND purpose = $2 AND version = $3',
        [tenantId, purpose, version],
      );
      return rows[0];
    });
    if (!row) throw new SealOpenError(`no ${purpose} key version ${version} for this tenant`);
    return this.unwrap(tenantId, row);
  }

  private async unwrap(tenantId: string, row: TenantKeyRow): Promise<VersionedKey> {
    const plaintext = await this.provider.unwrapDataKey(tenantId, row.wrapped_key, row.key_ref);
    return { version: row.version, key: toKeyObject(plaintext) };
  }
}

function currentKey(tenantId: string, purpose: KeyPurpose): string {
  return `${tenantId}:${purpose}:current`;
}

/** The KeyObject holds its own copy; the buffer is wiped so the key lives in one place only. */
function toKeyObject(plaintext: Buffer): KeyObject {
  const key = createSecretKey(plaintext);
  plaintext.fill(0);
  return key;
}

async function latest(tx: TenantTx, tenantId: string, purpose: KeyPurpose): Promise<TenantKeyRow | undefined> {
  const { rows } = await tx.query<TenantKeyRow>(
    `SELECT version, wrapped_key, key_ref FROM tenant_key WHERE tenant_id = $1 AND purpose = $2
     ORDER BY version DESC LIMIT 1`,
    [tenantId, purpose],
  );
  return rows[0];
}
