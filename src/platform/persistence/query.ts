import { StoredRecord } from './table-definition';

/** A filter must name its tenant: forgetting it does not compile. An array matches any of its values. */
export type Where<R extends StoredRecord> = { tenantId: string } & { [K in Exclude<keyof R, 'tenantId'>]?: R[K] | readonly R[K][] };

export interface Bounds<V> {
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
}

export type Direction = 'asc' | 'desc';

export type OrderBy<R> = { [K in keyof R]?: Direction };

export type Ranges<R> = { [K in keyof R]?: Bounds<R[K]> };

export interface ReadOptions<R> {
  orderBy?: OrderBy<R>;
  limit?: number;
  /** Keyset pagination and ranges: `{ id: { gt: cursor } }`, `{ seq: { gt: 10, lte: 60 } }`. */
  range?: Ranges<R>;
  /** Rows whose sealed column has every search term (see SearchTokenSpec); no terms match nothing. */
  matching?: { key: keyof R & string; query: string };
  /** Locks the rows until the surrounding transaction ends (read-modify-write such as an edit keeping history). */
  forUpdate?: boolean;
}

/** A row of another table of the same tenant that must exist, matched on plain columns. */
export interface ExistingRow {
  table: string;
  where: Readonly<Record<string, string | number>>;
}

/** A counter insertDrawn increments: a plain integer column of one row (tenant_id, id) of another table. */
export interface Counter {
  table: string;
  id: string;
  column: string;
  /** Plain columns of the counter row set with the draw (e.g. last activity). */
  set?: Readonly<Record<string, unknown>>;
  /** Draw only if this row exists: an authorisation check that travels with the draw ("the sender is a member"). */
  onlyIfExists?: ExistingRow;
}

export interface CounterDraw<R> {
  counter: Counter;
  /** The inserted row's property that receives the drawn value. */
  into: keyof R & string;
}
