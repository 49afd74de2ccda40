import { Aggregate, Alternative, Bounds, Comparison, CounterDraw, Direction, ExistingRow, Join, JoinedRead, Measure, OrderBy, Ranges } from './query';
import { ColumnValues, SearchTerms, SearchTokenWrite, StoredFilter } from './row-codec';
import { StoredRecord, TableDefinition } from './table-definition';

/** SQL text with its parameters, numbered $1, $2, … in the order the text names them. */
export interface SqlStatement {
  text: string;
  params: unknown[];
}

/** Numbered parameters for a statement composed of several parts. */
export class Statement {
  readonly params: unknown[] = [];

  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  addAll(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }

  with(text: string): SqlStatement {
    return { text, params: this.params };
  }
}

const RANGE_OPERATORS: Record<keyof Bounds<unknown>, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };
const COMPARISON_OPERATORS: Record<keyof Comparison<unknown>, string> = { ...RANGE_OPERATORS, ne: '<>' };
/** Measure names become quoted column aliases: letters, digits and underscores only, so none can close its quotes. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SelectSpec<R> {
  columns: readonly (keyof R & string)[];
  filters: readonly StoredFilter[];
  range?: Ranges<R>;
  matching?: SearchTerms;
  orderBy?: OrderBy<R>;
  limit?: number;
  forUpdate?: boolean;
}

/**
 * The SQL of one table's statements, from its definition: column names, the tenant predicate first in every WHERE,
 * numbered parameters. Values arrive already stored (sealed, blind-indexed) from the row codec; nothing here touches
 * a key or a connection.
 */
export class StatementBuilder<R extends StoredRecord> {
  /** Every column, in definition order: what a statement returns when it returns whole rows. */
  private readonly rowColumns: string;

  constructor(private readonly definition: TableDefinition<R>) {
    this.rowColumns = Object.values<{ column: string }>(definition.columns).map((spec) => spec.column).join(', ');
  }

  columnOf(key: keyof R & string): string {
    return this.definition.columns[key].column;
  }

  select(tenantId: string, spec: SelectSpec<R>): SqlStatement {
    const statement = new Statement();
    const conditions = this.where(statement, statement.add(tenantId), spec.filters, spec.range);
    if (spec.matching) conditions.push(this.matching(statement, spec.matching));
    const columns = spec.columns.map((key) => this.columnOf(key)).join(', ');
    const lock = spec.forUpdate ? ' FOR UPDATE' : '';
    return statement.with(`SELECT ${columns} FROM ${this.definition.table} WHERE ${conditions.join(' AND ')}${this.orderBy(spec.orderBy)}${limitClause(spec.limit)}${lock}`);
  }

  /** An insert that returns no row instead of failing when a unique key is already taken. */
  insertIfAbsent(values: ColumnValues): SqlStatement {
    const statement = new Statement();
    const placeholders = statement.addAll(values.params);
    return statement.with(`INSERT INTO ${this.definition.table} (${values.columns.join(', ')}) VALUES (${placeholders}) ON CONFLICT DO NOTHING RETURNING ${this.rowColumns}`);
  }

  /**
   * The common table expressions of an insert (the row as `written`, a counter draw as `drawn`, side-table search
   * tokens), parameters numbered in `statement`, to which further parts reading `written` can be added.
   */
  insertParts(statement: Statement, tenantId: string, id: string, values: ColumnValues, draw?: CounterDraw<R>): string[] {
    const placeholders = values.params.map((param) => statement.add(param));
    const parts: string[] = [];
    if (draw) {
      const { counter } = draw;
      const assignments = [`${counter.column} = ${counter.column} + 1`, ...Object.entries(counter.set ?? {}).map(([column, value]) => `${column} = ${statement.add(value)}`)];
      const guard = counter.onlyIfExists ? ` AND ${existsClause(counter.onlyIfExists, tenantId, statement)}` : '';
      parts.push(`drawn AS (UPDATE ${counter.table} SET ${assignments.join(', ')}
        WHERE tenant_id = ${statement.add(tenantId)} AND id = ${statement.add(counter.id)}${guard} RETURNING ${counter.column} AS value)`);
      parts.push(`written AS (INSERT INTO ${this.definition.table} (${[...values.columns, this.columnOf(draw.into)].join(', ')})
        SELECT ${[...placeholders, 'drawn.value'].join(', ')} FROM drawn RETURNING ${this.rowColumns})`);
    } else {
      parts.push(`written AS (INSERT INTO ${this.definition.table} (${values.columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${this.rowColumns})`);
    }
    for (const [i, { table, tokens }] of values.searchTokens.entries()) {
      if (tokens.length === 0) continue;
      parts.push(`tokens_${i} AS (INSERT INTO ${table} (tenant_id, row_id, token)
        SELECT ${statement.add(tenantId)}::uuid, ${statement.add(id)}::uuid, unnest(${statement.add(tokens)}::bytea[]) FROM written ON CONFLICT DO NOTHING)`);
    }
    return parts;
  }

  /** One statement of every part, answering with the written rows. */
  writtenBy(statement: Statement, parts: readonly string[]): SqlStatement {
    return statement.with(`WITH ${parts.join(',\n')} SELECT * FROM written`);
  }

  /** Changes one row of the tenant; answers with the whole row. */
  updateRow(tenantId: string, id: string, values: ColumnValues): SqlStatement {
    const statement = new Statement();
    const [tenant, row] = [statement.add(tenantId), statement.add(id)];
    return statement.with(`UPDATE ${this.definition.table} SET ${this.assignments(statement, values)}
         WHERE ${this.definition.tenantColumn} = ${tenant} AND ${this.columnOf('id')} = ${row} RETURNING ${this.rowColumns}`);
  }

  /** Changes every matching row; answers with the `returning` columns of each. */
  updateWhere(tenantId: string, filters: readonly StoredFilter[], range: Ranges<R> | undefined, values: ColumnValues, returning: readonly (keyof R & string)[]): SqlStatement {
    const statement = new Statement();
    const conditions = this.where(statement, statement.add(tenantId), filters, range);
    return statement.with(`UPDATE ${this.definition.table} SET ${this.assignments(statement, values)} WHERE ${conditions.join(' AND ')}
         RETURNING ${returning.map((key) => this.columnOf(key)).join(', ')}`);
  }

  deleteRow(tenantId: string, id: string): SqlStatement {
    const statement = new Statement();
    return statement.with(`DELETE FROM ${this.definition.table} WHERE ${this.definition.tenantColumn} = ${statement.add(tenantId)} AND ${this.columnOf('id')} = ${statement.add(id)}`);
  }

  /** Deletes every matching row; answers with their ids. */
  deleteWhere(tenantId: string, filters: readonly StoredFilter[]): SqlStatement {
    const statement = new Statement();
    const conditions = this.where(statement, statement.add(tenantId), filters);
    return statement.with(`DELETE FROM ${this.definition.table} WHERE ${conditions.join(' AND ')} RETURNING ${this.columnOf('id')}`);
  }

  /**
   * This table joined to another of the tenant, plain columns of both under their property names, keyset-paginated
   * along `orderBy` when `after` is given.
   */
  joinedSelect<J extends StoredRecord, K extends keyof R & string, JK extends keyof J & string>(
    tenantId: string,
    filters: readonly StoredFilter[],
    read: JoinedRead<R, J, K, JK>,
  ): SqlStatement {
    const clash = read.selectJoined.find((key) => (read.select as readonly string[]).includes(key));
    if (clash) throw new Error(`${clash} is selected from both tables: name it once`);
    const joined = new StatementBuilder(read.join.table);
    const statement = new Statement();
    const { from, conditions } = this.joinedTo(statement, tenantId, filters, read.join);
    if (read.after) conditions.push(this.keyset(statement, read.orderBy ?? {}, read.after));
    const columns = [...read.select.map((key) => this.aliased(key)), ...read.selectJoined.map((key) => joined.aliased(key))];
    return statement.with(`SELECT ${columns.join(', ')} ${from} WHERE ${conditions.join(' AND ')}${this.orderBy(read.orderBy, true)}${limitClause(read.limit)}`);
  }

  /** Groups of this table's rows (joined to another table's, if asked) with their measures, named as asked. */
  aggregate<J extends StoredRecord, G extends keyof R & string, M extends Record<string, Measure<R>>>(
    tenantId: string,
    filters: readonly StoredFilter[],
    query: Aggregate<R, J, G, M>,
  ): SqlStatement {
    const clash = Object.keys(query.measures).find((name) => (query.groupBy as readonly string[]).includes(name));
    if (clash) throw new Error(`${clash} is both a group key and a measure`);
    const unquotable = Object.keys(query.measures).find((name) => !IDENTIFIER.test(name));
    if (unquotable !== undefined) throw new Error(`measure name ${JSON.stringify(unquotable)} is not an identifier`);
    const statement = new Statement();
    const { from, conditions } = this.joinedTo(statement, tenantId, filters, query.join);
    if (query.anyOf) conditions.push(this.anyOf(statement, query.anyOf));
    const measures = Object.entries(query.measures).map(([name, measure]) => `${this.measure(statement, measure)} AS "${name}"`);
    const groups = query.groupBy.length > 0 ? ` GROUP BY ${query.groupBy.map((key) => this.qualified(key)).join(', ')}` : '';
    const order = (query.orderBy ?? []).map((item) => typeof item === 'string' ? this.qualified(item) : `min(${this.qualified(item.earliest)})`);
    return statement.with(`SELECT ${[...query.groupBy.map((key) => this.aliased(key)), ...measures].join(', ')} ${from} WHERE ${conditions.join(' AND ')}`
      + `${groups}${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}`);
  }

  /**
   * The FROM of a statement over this table and perhaps one joined table, with their WHERE conditions: each table's
   * tenant column is joined and filtered, whatever the caller names.
   */
  private joinedTo<J extends StoredRecord>(statement: Statement, tenantId: string, filters: readonly StoredFilter[], join?: Join<R, J>): { from: string; conditions: string[] } {
    const tenant = statement.add(tenantId);
    const conditions = this.where(statement, tenant, filters, undefined, true);
    if (!join) return { from: `FROM ${this.definition.table}`, conditions };
    if (join.table.table === this.definition.table) throw new Error(`${this.definition.table} cannot be joined to itself`);
    if (Object.keys(join.on).length === 0) throw new Error(`a join of ${join.table.table} names the columns it matches on`);
    const joined = new StatementBuilder(join.table);
    const on = [`${joined.tenantColumn()} = ${this.tenantColumn()}`];
    for (const [key, related] of Object.entries(join.on) as [keyof R & string, (keyof J & string) | Comparison<keyof J & string>][]) {
      if (typeof related === 'string') {
        on.push(`${this.qualified(key)} = ${joined.qualified(related)}`);
        continue;
      }
      for (const [operator, other] of Object.entries(related) as [keyof Comparison<unknown>, (keyof J & string) | undefined][]) {
        if (other !== undefined) on.push(`${this.qualified(key)} ${COMPARISON_OPERATORS[operator]} ${joined.qualified(other)}`);
      }
    }
    conditions.push(...joined.where(statement, tenant, joined.plainFilters(join.where ?? {}), undefined, true));
    return { from: `FROM ${this.definition.table} JOIN ${join.table.table} ON ${on.join(' AND ')}`, conditions };
  }

  /** The tenant predicate, then each filter, then each bound of each range; column names qualified for a join. */
  private where(statement: Statement, tenant: string, filters: readonly StoredFilter[], range?: Ranges<R>, qualify = false): string[] {
    const name = (column: string): string => qualify ? `${this.definition.table}.${column}` : column;
    const conditions = [`${name(this.definition.tenantColumn)} = ${tenant}`];
    for (const { column, value } of filters) {
      if (value === null) conditions.push(`${name(column)} IS NULL`);
      else if (Array.isArray(value)) conditions.push(`${name(column)} = ANY(${statement.add(value)})`);
      else conditions.push(`${name(column)} = ${statement.add(value)}`);
    }
    for (const [key, bounds] of Object.entries(range ?? {}) as [keyof R & string, Bounds<unknown>][]) {
      const spec = this.definition.columns[key];
      if (spec.sealed) throw new Error(`${key} is sealed: its order is not stored`);
      for (const [bound, value] of Object.entries(bounds) as [keyof Bounds<unknown>, unknown][]) {
        if (value === undefined) continue;
        conditions.push(`${name(spec.column)} ${RANGE_OPERATORS[bound]} ${statement.add(value)}`);
      }
    }
    return conditions;
  }

  /** Filters of plain columns given as they are stored (a joined table's: no blind index to compute). */
  private plainFilters(where: Readonly<Record<string, unknown>>): StoredFilter[] {
    return (Object.entries(where) as [keyof R & string, unknown][])
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ column: this.plainColumn(key), value }));
  }

  /** Rows past `after` in the order: one row-value comparison, so a composite index on the order serves it. */
  private keyset(statement: Statement, orderBy: OrderBy<R>, after: Partial<R>): string {
    const order = Object.entries(orderBy) as [keyof R & string, Direction][];
    const keys = order.map(([key]) => key);
    if (keys.length === 0 || keys.length !== Object.keys(after).length || keys.some((key) => !(key in after))) {
      throw new Error('after names the same properties as orderBy');
    }
    const directions = new Set(order.map(([, direction]) => direction));
    if (directions.size > 1) throw new Error('keyset pagination orders every property in one direction');
    const operator = directions.has('desc') ? '<' : '>';
    return `(${keys.map((key) => this.qualified(key)).join(', ')}) ${operator} (${keys.map((key) => statement.add(after[key])).join(', ')})`;
  }

  private anyOf(statement: Statement, alternatives: readonly Alternative<R>[]): string {
    if (alternatives.length === 0) return 'false';
    const each = alternatives.map(({ equals = {}, differs = {}, range = {} }) => {
      const parts = [
        ...(Object.entries(equals) as [keyof R & string, unknown][]).map(([key, value]) => `${this.qualified(key)} = ${statement.add(value)}`),
        ...(Object.entries(differs) as [keyof R & string, unknown][]).map(([key, value]) => `${this.qualified(key)} <> ${statement.add(value)}`),
        ...(Object.entries(range) as [keyof R & string, Bounds<unknown>][]).flatMap(([key, bounds]) =>
          (Object.entries(bounds) as [keyof Bounds<unknown>, unknown][])
            .filter(([, value]) => value !== undefined)
            .map(([bound, value]) => `${this.qualified(key)} ${RANGE_OPERATORS[bound]} ${statement.add(value)}`)),
      ];
      if (parts.length === 0) throw new Error('an alternative of anyOf names at least one condition');
      return `(${parts.join(' AND ')})`;
    });
    return `(${each.join(' OR ')})`;
  }

  private measure(statement: Statement, measure: Measure<R>): string {
    if ('count' in measure) return 'count(*)::int';
    return `bool_or(${this.qualified(measure.some)} = ${statement.add(measure.equals)})`;
  }

  /** A plain column: joins and aggregates never read PHI, which only findMany opens and audits. */
  private plainColumn(key: keyof R & string): string {
    const spec = this.definition.columns[key];
    if (!spec) throw new Error(`unknown property ${key} of ${this.definition.table}`);
    if (spec.sealed) throw new Error(`${key} is sealed: joins and aggregates read plain columns only`);
    return spec.column;
  }

  private qualified(key: keyof R & string): string {
    return `${this.definition.table}.${this.plainColumn(key)}`;
  }

  private aliased(key: keyof R & string): string {
    return `${this.qualified(key)} AS "${key}"`;
  }

  private tenantColumn(): string {
    return `${this.definition.table}.${this.definition.tenantColumn}`;
  }

  /** Rows having every search token: in the row's own array column, or counted in its side table. */
  private matching(statement: Statement, { store, tokens }: SearchTerms): string {
    const all = statement.add(tokens);
    if ('column' in store) return `${store.column} @> ${all}::bytea[]`;
    return `${this.columnOf('id')} IN (SELECT row_id FROM ${store.table} WHERE tenant_id = $1 AND token = ANY(${all}::bytea[])
      GROUP BY row_id HAVING count(DISTINCT token) = ${statement.add(tokens.length)})`;
  }

  private orderBy(orderBy: OrderBy<R> | undefined, qualify = false): string {
    const parts = (Object.entries(orderBy ?? {}) as [keyof R & string, Direction][])
      .map(([key, direction]) => `${qualify ? this.qualified(key) : this.columnOf(key)} ${direction === 'desc' ? 'DESC' : 'ASC'}`);
    return parts.length > 0 ? ` ORDER BY ${parts.join(', ')}` : '';
  }

  private assignments(statement: Statement, values: ColumnValues): string {
    if (values.columns.length === 0) throw new Error('update with an empty patch');
    const updatedAt = 'updatedAt' in this.definition.columns ? ', updated_at = now()' : '';
    return values.columns.map((column, i) => `${column} = ${statement.add(values.params[i])}`).join(', ') + updatedAt;
  }
}

/** Keeps the side tables' search tokens of one row in step with its value: the old ones go, the new ones come. */
export function searchTokenStatements(tenantId: string, rowId: string, writes: readonly SearchTokenWrite[], replace: boolean): SqlStatement[] {
  return writes.flatMap(({ table, tokens }) => [
    ...(replace ? [{ text: `DELETE FROM ${table} WHERE tenant_id = $1 AND row_id = $2`, params: [tenantId, rowId] }] : []),
    ...(tokens.length === 0 ? [] : [{
      text: `INSERT INTO ${table} (tenant_id, row_id, token) SELECT $1, $2, unnest($3::bytea[]) ON CONFLICT DO NOTHING`,
      params: [tenantId, rowId, tokens],
    }]),
  ]);
}

function limitClause(limit: number | undefined): string {
  return limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
}

function existsClause(row: ExistingRow, tenantId: string, statement: Statement): string {
  const conditions = [`tenant_id = ${statement.add(tenantId)}`, ...Object.entries(row.where).map(([column, value]) => `${column} = ${statement.add(value)}`)];
  return `EXISTS (SELECT 1 FROM ${row.table} WHERE ${conditions.join(' AND ')})`;
}
