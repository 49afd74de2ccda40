import { StoredRecord, TableDefinition } from './table-definition';

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

/** How a column of this table relates to one of the joined table: `>` for `gt`, `<>` for `ne`, and so on. */
export type Comparison<K> = Bounds<K> & { ne?: K };

/**
 * Another table of the same tenant joined to this one: the base joins and filters the tenant columns of both, so
 * neither side can reach another tenant's rows. Plain columns only.
 */
export interface Join<R, J extends StoredRecord> {
  table: TableDefinition<J>;
  /** This table's property → the joined table's property it equals, or compares with: `{ seq: { gt: 'readSeq' } }`. */
  on: { [K in keyof R & string]?: (keyof J & string) | Comparison<keyof J & string> };
  /** Filters on the joined table; an array matches any of its values. */
  where?: { [K in Exclude<keyof J & string, 'tenantId'>]?: J[K] | readonly J[K][] };
}

export interface JoinedRead<R, J extends StoredRecord, K extends keyof R & string, JK extends keyof J & string> {
  join: Join<R, J>;
  /** This table's properties to return. */
  select: readonly K[];
  /** The joined table's properties to return; a name this table also returns is refused. */
  selectJoined: readonly JK[];
  orderBy?: OrderBy<R>;
  /** Keyset pagination: only rows past this position in `orderBy` (every key of it, all in one direction). */
  after?: Partial<R>;
  limit?: number;
}

/** `count`: the group's rows; `some`: whether any row of the group has the property equal to the value. */
export type Measure<R> = { count: '*' } | { [K in keyof R & string]: { some: K; equals: R[K] } }[keyof R & string];

export type MeasureValue<M> = M extends { count: '*' } ? number : boolean;

/** One alternative of `anyOf`: plain properties equal to, or different from, a value, and ranges. */
export interface Alternative<R> {
  equals?: { [K in keyof R & string]?: R[K] };
  differs?: { [K in keyof R & string]?: R[K] };
  range?: Ranges<R>;
}

export interface Aggregate<R, J extends StoredRecord, G extends keyof R & string, M extends Record<string, Measure<R>>> {
  /** Counted over the joined rows: a group's count is of the pairs that match. */
  join?: Join<R, J>;
  /**
   * Only rows that match at least one alternative: bounds that differ per group, such as each conversation's read
   * pointer. An empty list matches nothing.
   */
  anyOf?: readonly Alternative<R>[];
  groupBy: readonly G[];
  /** Named results of each group; a name that is also a group key is refused. */
  measures: M;
  /** Groups in ascending order of a group key, or of the earliest value of a property within each group. */
  orderBy?: readonly (G | { earliest: keyof R & string })[];
}

export type AggregateRow<R, G extends keyof R, M> = Pick<R, G> & { [N in keyof M]: MeasureValue<M[N]> };
