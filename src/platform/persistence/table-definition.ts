export interface PlainColumn {
  column: string;
  sealed?: false;
}

export interface BlindIndexSpec {
  /** Column holding HMAC(tenant index key, normalize(value)) for exact-match lookups. */
  column: string;
  normalize(value: string): string;
}

/** PHI: stored only as an AES-256-GCM envelope bound to tenant, table, column and row. */
export interface SealedColumn {
  column: string;
  sealed: true;
  blindIndex?: BlindIndexSpec;
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

export function sealedColumns<R extends StoredRecord>(definition: TableDefinition<R>): (keyof R & string)[] {
  return (Object.keys(definition.columns) as (keyof R & string)[]).filter((key) => definition.columns[key].sealed === true);
}
