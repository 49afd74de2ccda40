import { KeyObject } from 'node:crypto';
import { blindIndex, open, seal, SealLocation, SealOpenError, sealedKeyVersion } from '../crypto/field-cipher';
import { TenantKeys } from '../crypto/tenant-keys';
import { SealedDataIntegrityError } from '../errors';
import { ReadOptions, Where } from './query';
import { ColumnSpec, SearchTokenStore, StoredRecord, TableDefinition } from './table-definition';

/** The tenant keys a codec seals, opens and indexes with. */
export type DataKeys = Pick<TenantKeys, 'current' | 'version'>;

export type DbRow = Record<string, unknown>;

/** Tokens bound for a side table (tenant_id, row_id, token), written after the row. */
export interface SearchTokenWrite {
  table: string;
  tokens: Buffer[];
}

/** A record's properties as stored: column names and values in the same order, PHI already sealed. */
export interface ColumnValues {
  columns: string[];
  params: unknown[];
  searchTokens: SearchTokenWrite[];
}

/** One equality filter on a stored column: a sealed value is looked up by its blind index. Null is IS NULL; an array matches any of its values. */
export interface StoredFilter {
  column: string;
  value: unknown;
}

/** The stored tokens a search must find all of. */
export interface SearchTerms {
  store: SearchTokenStore;
  tokens: Buffer[];
}

/**
 * Opens an envelope with the data key version it names. An envelope that does not open (moved, altered, wrong key)
 * is an integrity failure of the stored data, reported by location and never as a crash or as plaintext.
 */
export async function openWithDataKey<T>(
  keys: DataKeys,
  location: SealLocation,
  envelope: unknown,
  openEnvelope: (key: KeyObject, envelope: Buffer, location: SealLocation) => T,
): Promise<T> {
  try {
    if (!Buffer.isBuffer(envelope)) throw new SealOpenError('not an envelope');
    const dataKey = await keys.version(location.tenantId, 'data', sealedKeyVersion(envelope));
    return openEnvelope(dataKey.key, envelope, location);
  } catch (error) {
    if (error instanceof SealOpenError) throw new SealedDataIntegrityError({ table: location.table, column: location.column, rowId: location.rowId });
    throw error;
  }
}

/** Domain-separated so the same word in two columns (or tables) yields unrelated tokens. */
function searchTokenHash(key: KeyObject, table: string, column: string, token: string): Buffer {
  return blindIndex(key, `${table}.${column}\u0000${token}`);
}

/**
 * Converts between a table's records and its stored rows: PHI is sealed to its tenant, table, column and row on the
 * way in (with its blind index and search tokens) and opened on the way out; plain columns pass as they are.
 */
export class RowCodec<R extends StoredRecord> {
  constructor(private readonly definition: TableDefinition<R>, private readonly keys: DataKeys) {}

  /** Column names and parameters for the given properties, PHI sealed, blind-indexed and search-tokenised. */
  async toColumns(tenantId: string, rowId: string, values: Partial<R>): Promise<ColumnValues> {
    const columns: string[] = [];
    const params: unknown[] = [];
    const searchTokens: SearchTokenWrite[] = [];
    for (const [key, value] of Object.entries(values) as [keyof R & string, unknown][]) {
      if (value === undefined) continue;
      const spec = this.definition.columns[key];
      // The tenant table has no tenantId property: its id is the tenant.
      if (key === 'tenantId' && !spec) continue;
      if (!spec) throw new Error(`unknown column for ${key}`);
      if (spec.sealed && value === null) {
        // Absence is not PHI: a nullable sealed column stores NULL (and leaves no index or tokens).
        columns.push(spec.column);
        params.push(null);
        if (spec.blindIndex) {
          columns.push(spec.blindIndex.column);
          params.push(null);
        }
        if (spec.searchTokens) addSearchTokens(spec.searchTokens.store, [], columns, params, searchTokens);
      } else if (spec.sealed) {
        if (typeof value !== 'string') throw new Error(`${key} is sealed and must be a string`);
        const dataKey = await this.keys.current(tenantId, 'data');
        columns.push(spec.column);
        params.push(seal(dataKey.key, dataKey.version, value, { tenantId, table: this.definition.table, column: spec.column, rowId }));
        if (spec.blindIndex || spec.searchTokens) {
          const indexKey = await this.keys.current(tenantId, 'index');
          if (spec.blindIndex) {
            columns.push(spec.blindIndex.column);
            params.push(blindIndex(indexKey.key, spec.blindIndex.normalize(value)));
          }
          if (spec.searchTokens) {
            const tokens = spec.searchTokens.tokensOf(value).map((token) => searchTokenHash(indexKey.key, this.definition.table, spec.column, token));
            addSearchTokens(spec.searchTokens.store, tokens, columns, params, searchTokens);
          }
        }
      } else if (!columns.includes(spec.column)) {
        columns.push(spec.column);
        params.push(value);
      }
    }
    return { columns, params, searchTokens };
  }

  /** The filter's conditions besides the tenant, as stored: a sealed property is matched through its blind index. */
  async filterOf(where: Where<R>): Promise<StoredFilter[]> {
    const filters: StoredFilter[] = [];
    for (const [key, value] of Object.entries(where) as [keyof R & string, unknown][]) {
      if (key === 'tenantId' || value === undefined) continue;
      const spec = this.definition.columns[key];
      if (!spec) throw new Error(`unknown filter ${key}`);
      if (spec.sealed) {
        if (!spec.blindIndex) throw new Error(`${key} is sealed and has no blind index to filter on`);
        if (Array.isArray(value)) throw new Error(`${key} is sealed: filter on one value at a time`);
        const indexKey = await this.keys.current(where.tenantId, 'index');
        filters.push({ column: spec.blindIndex.column, value: blindIndex(indexKey.key, spec.blindIndex.normalize(String(value))) });
      } else {
        filters.push({ column: spec.column, value });
      }
    }
    return filters;
  }

  /** The stored tokens for ReadOptions.matching, or null when the query has no usable term (nothing matches). */
  async searchTermsOf(tenantId: string, matching: NonNullable<ReadOptions<R>['matching']>): Promise<SearchTerms | null> {
    const spec = this.definition.columns[matching.key];
    if (!spec.sealed || !spec.searchTokens) throw new Error(`${matching.key} has no search tokens`);
    const terms = spec.searchTokens.termsOf(matching.query);
    if (terms.length === 0) return null;
    const indexKey = await this.keys.current(tenantId, 'index');
    return { store: spec.searchTokens.store, tokens: terms.map((term) => searchTokenHash(indexKey.key, this.definition.table, spec.column, term)) };
  }

  /** The named properties of a stored row, PHI opened. */
  async fromRow(tenantId: string, row: DbRow, keys: readonly (keyof R & string)[]): Promise<Partial<R>> {
    const record: Record<string, unknown> = {};
    const rowId = String(row[this.definition.columns.id.column]);
    for (const key of keys) {
      const spec = this.definition.columns[key];
      const stored = row[spec.column];
      record[key] = spec.sealed && stored !== null
        ? await openWithDataKey(this.keys, { tenantId, table: this.definition.table, column: spec.column, rowId }, stored, open)
        : stored;
    }
    return record as Partial<R>;
  }

  /** A written row as a record, its PHI taken from the plaintext just written instead of opened again. */
  withPlaintext(row: DbRow, values: Partial<R>): R {
    const record: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(this.definition.columns) as [keyof R & string, ColumnSpec][]) {
      record[key] = spec.sealed ? (values[key] ?? null) : row[spec.column];
    }
    return record as R;
  }
}

/** Tokens stored in the row go with its columns (null: nothing to find); a side table's are written after it. */
function addSearchTokens(store: SearchTokenStore, tokens: Buffer[], columns: string[], params: unknown[], sideTables: SearchTokenWrite[]): void {
  if ('column' in store) {
    columns.push(store.column);
    params.push(tokens.length > 0 ? tokens : null);
  } else {
    sideTables.push({ table: store.table, tokens });
  }
}
