export interface PlainColumn {
  column: string;
  sealed?: false;
}

export interface BlindIndexSpec {
  /** Column holding HMAC(tenant index key, normalize(value)) for exact-match lookups. */
  column: string;
  normalize(value: string): string;
}

/**
 * Where search tokens live: an array column of the row itself (bytea[], GIN-indexed; one row per write, for hot
 * tables) or a side table (tenant_id, row_id, token).
 */
export type SearchTokenStore = { column: string } | { table: string };

/**
 * Word search over a sealed column without a plaintext index: each token of the value is stored as
 * HMAC(tenant index key, table.column + token).
 */
export interface SearchTokenSpec {
  store: SearchTokenStore;
  /** The tokens a stored value is findable by (for example every word prefix). */
  tokensOf(value: string): string[];
  /** The tokens a query must all match (for example its normalised words). */
  termsOf(query: string): string[];
}

/** PHI: stored only as an AES-256-GCM envelope bound to tenant, table, column and row. */
export interface SealedColumn {
  column: string;
  sealed: true;
  blindIndex?: BlindIndexSpec;
  searchTokens?: SearchTokenSpec;
}

export type ColumnSpec = PlainColumn | SealedColumn;

/** Every stored record has an id; tenant-owned ones also carry tenantId. */
export interface StoredRecord {
  id: string;
}

/**
 * A table as a repository sees it: which property maps to which column, which columns are PHI, and which
 * column holds the tenant. Written once per module; the base class derives every statement from it.
 */
export interface TableDefinition<R extends StoredRecord> {
  table: string;
  /** The audit resource type, e.g. "user". */
  resourceType: string;
  /** The column that scopes rows to a tenant ("tenant_id", or "id" for the tenant table itself). */
  tenantColumn: string;
  columns: { readonly [K in keyof R]-?: ColumnSpec };
}
