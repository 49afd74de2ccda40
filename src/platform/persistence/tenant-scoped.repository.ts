import { KeyObject, randomUUID } from 'node:crypto';
import { AuditDetails, AuditEventInput } from '../audit/audit-event';
import { AUDIT_EVENT_COLUMNS, AuditWriter } from '../audit/audit.writer';
import { currentContext } from '../context/request-context';
import { blindIndex, open, seal, SealOpenError, sealedKeyVersion } from '../crypto/field-cipher';
import { TenantKeys } from '../crypto/tenant-keys';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';
import { ConflictError, SealedDataIntegrityError, TenantScopeViolationError } from '../http/app-error';
import { appendOutboxEvent, OUTBOX_EVENT_COLUMNS, OutboxEvent, outboxRowValues } from '../realtime/outbox';
import { ColumnSpec, SearchTokenStore, StoredRecord, TableDefinition } from './table-definition';

/**
 * What every repository stands on; one instance per process. Each part is typed by what repositories and services
 * call on it, so a unit test can stand in for the database, the keys and the audit writer.
 */
export class PersistenceKit {
  constructor(
    readonly transactions: Pick<TenantTransactions, 'run'>,
    readonly keys: Pick<TenantKeys, 'current' | 'version'>,
    readonly audit: Pick<AuditWriter, 'record' | 'recordInTransaction' | 'rowValues'>,
  ) {}
}

/** A filter must name its tenant: forgetting it does not compile. An array matches any of its values. */
export type Where<R extends StoredRecord> = { tenantId: string } & { [K in Exclude<keyof R, 'tenantId'>]?: R[K] | readonly R[K][] };
/** Updates and deletes address one row of one tenant. */
export interface RowRef {
  tenantId: string;
  id: string;
}
export type InsertValues<R extends StoredRecord> = { tenantId: string } & Partial<Omit<R, 'tenantId'>>;
export type Patch<R extends StoredRecord> = Partial<Omit<R, 'id' | 'tenantId'>>;

export interface Bounds<V> {
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
}

export interface ReadOptions<R> {
  orderBy?: { [K in keyof R]?: 'asc' | 'desc' };
  limit?: number;
  /** Keyset pagination and ranges: `{ id: { gt: cursor } }`, `{ seq: { gt: 10, lte: 60 } }`. */
  range?: { [K in keyof R]?: Bounds<R[K]> };
  /** Rows whose sealed column has every search term (see SearchTokenSpec); no terms match nothing. */
  matching?: { key: keyof R & string; query: string };
  /** Locks the rows until the surrounding transaction ends (read-modify-write such as an edit keeping history). */
  forUpdate?: boolean;
}

export interface AuditOptions {
  /** Overrides the default action (`<resource>.read|create|update|delete`). */
  auditAction?: string;
  auditDetails?: AuditDetails;
  /** A write's realtime announcement: committed with the write and its audit event, or not at all. */
  outbox?: OutboxEvent;
}

export interface ReadAuditOptions<R> extends AuditOptions {
  /** Details computed from what was read, e.g. the seq range of a page of messages. */
  auditDetailsOf?: (records: readonly R[]) => AuditDetails;
}

export interface InsertOptions extends AuditOptions {
  /** Insert only if no row conflicts on a unique key; returns null instead of failing when one does. */
  ifAbsent?: boolean;
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

export interface ConditionalUpdateOptions<R, K> extends AuditOptions {
  range?: ReadOptions<R>['range'];
  /** Plain columns to return for each changed row, besides its id. */
  returning?: readonly K[];
}

type DbRow = Record<string, unknown>;

const RANGE_OPERATORS: Record<keyof Bounds<unknown>, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * The only way modules reach PostgreSQL. Every statement is scoped to the caller's tenant (and row-level
 * security is set for it), PHI columns are sealed before they leave the process and opened after they return,
 * every write commits with its audit event, and every read of PHI is audited before it is returned.
 */
export abstract class TenantScopedRepository<R extends StoredRecord> {
  private readonly selectList: string;

  protected constructor(protected readonly definition: TableDefinition<R>, private readonly kit: PersistenceKit) {
    this.selectList = this.entries().map(([, spec]) => spec.column).join(', ');
  }

  protected async findOne(where: Where<R>, options: AuditOptions = {}): Promise<R | null> {
    const [record] = await this.findMany(where, { limit: 1 }, options);
    return record ?? null;
  }

  protected async findMany(where: Where<R>, read: ReadOptions<R> = {}, options: ReadAuditOptions<R> = {}): Promise<R[]> {
    return this.select(where, this.keys(), read, options) as Promise<R[]>;
  }

  /**
   * Only the named properties (and id). Reading no sealed column reads no PHI, so it is not audited as a read:
   * the hot paths that check state (sessions, membership) stay cheap.
   */
  protected findColumns<K extends keyof R & string>(where: Where<R>, keys: readonly K[], read: ReadOptions<R> = {}): Promise<Pick<R, K | 'id'>[]> {
    return this.select(where, [...new Set<keyof R & string>(['id', ...keys])], read, {}) as Promise<Pick<R, K | 'id'>[]>;
  }

  private async select(where: Where<R>, keys: (keyof R & string)[], read: ReadOptions<R>, options: ReadAuditOptions<R>): Promise<Partial<R>[]> {
    const tenantId = this.scopeOf(where.tenantId);
    const readsPhi = keys.some((key) => this.definition.columns[key].sealed === true);
    const records = await this.kit.transactions.run(tenantId, async (tx) => {
      const { clause, params } = await this.whereClause(where);
      this.rangeClause(read.range, clause, params);
      const matched = await this.matchingClause(tenantId, read.matching, params);
      if (matched === null) return [];
      const conditions = [...clause, ...matched].join(' AND ');
      const order = this.orderClause(read.orderBy);
      const limit = read.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(read.limit))}`;
      const lock = read.forUpdate ? ' FOR UPDATE' : '';
      const columns = keys.map((key) => this.columnOf(key)).join(', ');
      const { rows } = await tx.query<DbRow>(`SELECT ${columns} FROM ${this.definition.table} WHERE ${conditions}${order}${limit}${lock}`, params);
      return Promise.all(rows.map((row) => this.fromRow(tenantId, row, keys)));
    });
    if (readsPhi) {
      // auditDetailsOf is offered by findMany only, which selects whole records.
      const details = { ...options.auditDetails, ...options.auditDetailsOf?.(records as unknown as R[]) };
      await this.auditRead(tenantId, records.map((record) => String(record.id)), { auditAction: options.auditAction, auditDetails: details });
    }
    return records;
  }

  /**
   * Inside an audited HTTP request of the same tenant, the read is named in that request's one audit event (written
   * before the answer leaves); anywhere else it is an event of its own, written before the records are returned.
   */
  private async auditRead(tenantId: string, ids: string[], options: AuditOptions): Promise<void> {
    const action = options.auditAction ?? `${this.definition.resourceType}.read`;
    const context = currentContext();
    if (context?.pendingReads && context.tenantId === tenantId) {
      context.pendingReads.push({ tenantId, action, resourceType: this.definition.resourceType, ids, details: options.auditDetails });
      return;
    }
    await this.kit.audit.record({
      action,
      outcome: 'success',
      tenantId,
      resourceType: this.definition.resourceType,
      resourceId: ids.length === 1 ? ids[0] : undefined,
      details: { count: ids.length, ids: ids.slice(0, 100), ...options.auditDetails },
    });
  }

  protected async insert(values: InsertValues<R>, options?: AuditOptions & { ifAbsent?: false }): Promise<R>;
  protected async insert(values: InsertValues<R>, options: InsertOptions & { ifAbsent: true }): Promise<R | null>;
  protected async insert(values: InsertValues<R>, options: InsertOptions = {}): Promise<R | null> {
    const tenantId = this.scopeOf(values.tenantId);
    const id = this.definition.tenantColumn === this.columnOf('id') ? tenantId : (values.id ?? randomUUID());
    const record = { ...values, id } as unknown as Partial<R>;
    const audit = this.creationAudit(id, options);
    return this.write(tenantId, async (tx) => {
      if (!options.ifAbsent) return this.withPlaintext((await this.insertStatement(tx, id, record, audit, options.outbox))[0], record);
      const { columns, params, searchTokens } = await this.toColumns(tenantId, id, record);
      const placeholders = params.map((_, i) => `$${i + 1}`).join(', ');
      const { rows } = await tx.query<DbRow>(
        `INSERT INTO ${this.definition.table} (${columns.join(', ')}) VALUES (${placeholders}) ON CONFLICT DO NOTHING RETURNING ${this.selectList}`,
        params,
      );
      if (rows.length === 0) return null;
      await writeSearchTokens(tx, tenantId, id, searchTokens, false);
      await this.recordWrite(tx, audit, options.outbox);
      return this.withPlaintext(rows[0], record);
    });
  }

  /**
   * Inserts a row whose `draw.into` property is the next value of a counter in another row of this tenant (a
   * conversation's last message seq), drawn in the same statement: the counter row stays locked only from this
   * statement to the end of the caller's transaction. Null when the counter row does not exist or its guard fails.
   * The outbox payload carries the drawn value under `draw.into`; the audit event names the row by id.
   */
  protected async insertDrawn(values: InsertValues<R>, draw: CounterDraw<R>, options: AuditOptions = {}): Promise<R | null> {
    const tenantId = this.scopeOf(values.tenantId);
    const id = values.id ?? randomUUID();
    const record = { ...values, id } as unknown as Partial<R>;
    const audit = this.creationAudit(id, options);
    return this.write(tenantId, async (tx) => {
      const [row] = await this.insertStatement(tx, id, record, audit, options.outbox, draw);
      return row ? this.withPlaintext(row, record) : null;
    });
  }

  private creationAudit(id: string, options: AuditOptions): AuditEventInput {
    return this.writeAudit('create', [id], options);
  }

  /** The audit event of a write of these rows: `<resource>.<verb>` unless the caller names the action. */
  private writeAudit(verb: 'create' | 'update' | 'delete', ids: readonly string[], options: AuditOptions, details: AuditDetails = {}): AuditEventInput {
    return {
      action: options.auditAction ?? `${this.definition.resourceType}.${verb}`,
      outcome: 'success',
      resourceType: this.definition.resourceType,
      resourceId: ids.length === 1 ? ids[0] : undefined,
      details: { ...details, ...options.auditDetails },
    };
  }

  /** A write's evidence, in its transaction: the audit event, then the realtime announcement if there is one. */
  private async recordWrite(tx: TenantTx, audit: AuditEventInput, outbox?: OutboxEvent): Promise<void> {
    await this.kit.audit.recordInTransaction(tx, audit);
    if (outbox) await appendOutboxEvent(tx, outbox);
  }

  /**
   * The row, its search tokens, its audit event and its outbox event (and a counter draw) as one statement: one round
   * trip on the hot path (a send), all or nothing like the rest of the transaction.
   */
  private async insertStatement(tx: TenantTx, id: string, record: Partial<R>, audit: AuditEventInput, outbox?: OutboxEvent, draw?: CounterDraw<R>): Promise<DbRow[]> {
    const tenantId = tx.tenantId;
    const { columns, params, searchTokens } = await this.toColumns(tenantId, id, record);
    const statement = new StatementBuilder();
    const values = params.map((param) => statement.add(param));
    const parts: string[] = [];
    if (draw) {
      const { counter } = draw;
      const assignments = [`${counter.column} = ${counter.column} + 1`, ...Object.entries(counter.set ?? {}).map(([column, value]) => `${column} = ${statement.add(value)}`)];
      const guard = counter.onlyIfExists ? ` AND ${existsClause(counter.onlyIfExists, tenantId, statement)}` : '';
      parts.push(`drawn AS (UPDATE ${counter.table} SET ${assignments.join(', ')}
        WHERE tenant_id = ${statement.add(tenantId)} AND id = ${statement.add(counter.id)}${guard} RETURNING ${counter.column} AS value)`);
      parts.push(`written AS (INSERT INTO ${this.definition.table} (${[...columns, this.columnOf(draw.into)].join(', ')})
        SELECT ${[...values, 'drawn.value'].join(', ')} FROM drawn RETURNING ${this.selectList})`);
    } else {
      parts.push(`written AS (INSERT INTO ${this.definition.table} (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING ${this.selectList})`);
    }
    for (const [i, { table, tokens }] of searchTokens.entries()) {
      if (tokens.length === 0) continue;
      parts.push(`tokens_${i} AS (INSERT INTO ${table} (tenant_id, row_id, token)
        SELECT ${statement.add(tenantId)}::uuid, ${statement.add(id)}::uuid, unnest(${statement.add(tokens)}::bytea[]) FROM written ON CONFLICT DO NOTHING)`);
    }
    parts.push(`audited AS (INSERT INTO audit_event (${AUDIT_EVENT_COLUMNS}) SELECT ${statement.addAll(await this.kit.audit.rowValues(tx, audit))} FROM written)`);
    if (outbox) {
      const [outboxTenant, channel, eventType, payload] = outboxRowValues(tenantId, outbox).map((value) => statement.add(value));
      const drawnValue = draw ? ` || jsonb_build_object('${draw.into}', written.${this.columnOf(draw.into)})` : '';
      parts.push(`announced AS (INSERT INTO outbox_event (${OUTBOX_EVENT_COLUMNS})
        SELECT ${outboxTenant}, ${channel}, ${eventType}, ${payload}::jsonb${drawnValue} FROM written)`);
    }
    const { rows } = await tx.query<DbRow>(`WITH ${parts.join(',\n')} SELECT * FROM written`, statement.params);
    return rows;
  }

  /** Returns the updated record, or null when the row does not exist in this tenant. */
  protected async update(ref: RowRef, patch: Patch<R>, options: AuditOptions = {}): Promise<R | null> {
    const tenantId = this.scopeOf(ref.tenantId);
    const changes = patch as Partial<R>;
    return this.write(tenantId, async (tx) => {
      const { columns, params, searchTokens } = await this.toColumns(tenantId, ref.id, changes);
      if (columns.length === 0) throw new Error('update with an empty patch');
      const assignments = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
      const { rows } = await tx.query<DbRow>(
        `UPDATE ${this.definition.table} SET ${assignments}${this.updatedAtAssignment()}
         WHERE ${this.definition.tenantColumn} = $1 AND ${this.columnOf('id')} = $2 RETURNING ${this.selectList}`,
        [tenantId, ref.id, ...params],
      );
      if (rows.length === 0) return null;
      await writeSearchTokens(tx, tenantId, ref.id, searchTokens, true);
      await this.recordWrite(tx, this.writeAudit('update', [ref.id], options, { fields: Object.keys(changes).sort() }), options.outbox);
      return this.fromRow(tenantId, rows[0], this.keys()) as Promise<R>;
    });
  }

  /**
   * A conditional update of every row matching `where` and `range` (state transitions such as "spend this token
   * if it is unspent"), in one statement; returns the changed rows' id and `returning` plain columns. One audit
   * event names them all.
   */
  protected async updateWhere<K extends keyof R & string = 'id'>(
    where: Where<R>,
    patch: Patch<R>,
    options: ConditionalUpdateOptions<R, K> = {},
  ): Promise<Pick<R, K | 'id'>[]> {
    const tenantId = this.scopeOf(where.tenantId);
    const changes = patch as Partial<R>;
    const returning = [...new Set<keyof R & string>(['id', ...(options.returning ?? [])])];
    if ([...this.keysOf(changes), ...returning].some((key) => this.definition.columns[key].sealed === true)) {
      throw new Error('updateWhere writes and returns plain columns only; sealed values are bound to one row');
    }
    return this.write(tenantId, async (tx) => {
      const { clause, params } = await this.whereClause(where);
      this.rangeClause(options.range, clause, params);
      const { columns, params: values } = await this.toColumns(tenantId, '', changes);
      if (columns.length === 0) throw new Error('update with an empty patch');
      const assignments = columns.map((column, i) => `${column} = $${params.length + i + 1}`).join(', ');
      const { rows } = await tx.query<DbRow>(
        `UPDATE ${this.definition.table} SET ${assignments}${this.updatedAtAssignment()} WHERE ${clause.join(' AND ')}
         RETURNING ${returning.map((key) => this.columnOf(key)).join(', ')}`,
        [...params, ...values],
      );
      const records = await Promise.all(rows.map((row) => this.fromRow(tenantId, row, returning)));
      const ids = records.map((record) => String(record.id));
      if (ids.length > 0) {
        await this.recordWrite(tx, this.writeAudit('update', ids, options, { fields: Object.keys(changes).sort(), ...rowsNamed(ids) }), options.outbox);
      }
      return records as Pick<R, K | 'id'>[];
    });
  }

  /** Returns false when the row does not exist in this tenant. */
  protected async delete(ref: RowRef, options: AuditOptions = {}): Promise<boolean> {
    const tenantId = this.scopeOf(ref.tenantId);
    return this.write(tenantId, async (tx) => {
      const { rowCount } = await tx.query(
        `DELETE FROM ${this.definition.table} WHERE ${this.definition.tenantColumn} = $1 AND ${this.columnOf('id')} = $2`,
        [tenantId, ref.id],
      );
      if (rowCount === 0) return false;
      await this.recordWrite(tx, this.writeAudit('delete', [ref.id], options), options.outbox);
      return true;
    });
  }

  /** Deletes every row matching `where`; one audit event names them. Returns the deleted ids. */
  protected async deleteWhere(where: Where<R>, options: AuditOptions = {}): Promise<string[]> {
    const tenantId = this.scopeOf(where.tenantId);
    return this.write(tenantId, async (tx) => {
      const { clause, params } = await this.whereClause(where);
      const { rows } = await tx.query<DbRow>(`DELETE FROM ${this.definition.table} WHERE ${clause.join(' AND ')} RETURNING ${this.columnOf('id')}`, params);
      const ids = rows.map((row) => String(row[this.columnOf('id')]));
      if (ids.length > 0) await this.recordWrite(tx, this.writeAudit('delete', ids, options, rowsNamed(ids)), options.outbox);
      return ids;
    });
  }

  /**
   * Joins and aggregates over plain columns (counts, summaries, membership), run under the tenant's row-level
   * security. Sealed columns (named `*_sealed`) are refused: PHI is read only through findMany, which opens and audits it.
   */
  protected async selectPlain<T>(tenantId: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    if (/_sealed\b/.test(sql)) throw new Error('selectPlain reads plain columns only');
    const { rows } = await this.kit.transactions.run(this.scopeOf(tenantId), (tx) => tx.query<T>(sql, params));
    return rows;
  }

  /** Several statements, one transaction: writes inside commit or roll back together with their audit events. */
  protected transaction<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    return this.kit.transactions.run(this.scopeOf(tenantId), () => work());
  }

  /** A request bound to one tenant can never address another: such ids answer as if they did not exist. */
  private scopeOf(tenantId: string): string {
    const bound = currentContext()?.tenantId;
    if (bound !== undefined && bound !== tenantId) throw new TenantScopeViolationError();
    return tenantId;
  }

  private async write<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    try {
      return await this.kit.transactions.run(tenantId, work);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`This ${this.definition.resourceType} conflicts with an existing one.`, { constraint: error.constraint ?? 'unique' });
      }
      throw error;
    }
  }

  private entries(): [keyof R & string, ColumnSpec][] {
    return Object.entries(this.definition.columns) as [keyof R & string, ColumnSpec][];
  }

  private keys(): (keyof R & string)[] {
    return Object.keys(this.definition.columns) as (keyof R & string)[];
  }

  private keysOf(values: Partial<R>): (keyof R & string)[] {
    return (Object.keys(values) as (keyof R & string)[]).filter((key) => values[key] !== undefined);
  }

  private updatedAtAssignment(): string {
    return 'updatedAt' in this.definition.columns ? ', updated_at = now()' : '';
  }

  private columnOf(key: keyof R & string): string {
    return this.definition.columns[key].column;
  }

  private async whereClause(where: Where<R>): Promise<{ clause: string[]; params: unknown[] }> {
    const params: unknown[] = [where.tenantId];
    const clause = [`${this.definition.tenantColumn} = $1`];
    for (const [key, value] of Object.entries(where) as [keyof R & string, unknown][]) {
      if (key === 'tenantId' || value === undefined) continue;
      const spec = this.definition.columns[key];
      if (!spec) throw new Error(`unknown filter ${key}`);
      if (spec.sealed) {
        if (!spec.blindIndex) throw new Error(`${key} is sealed and has no blind index to filter on`);
        if (Array.isArray(value)) throw new Error(`${key} is sealed: filter on one value at a time`);
        const indexKey = await this.kit.keys.current(where.tenantId, 'index');
        params.push(blindIndex(indexKey.key, spec.blindIndex.normalize(String(value))));
        clause.push(`${spec.blindIndex.column} = $${params.length}`);
      } else if (value === null) {
        clause.push(`${spec.column} IS NULL`);
      } else if (Array.isArray(value)) {
        params.push(value);
        clause.push(`${spec.column} = ANY($${params.length})`);
      } else {
        params.push(value);
        clause.push(`${spec.column} = $${params.length}`);
      }
    }
    return { clause, params };
  }

  private rangeClause(range: ReadOptions<R>['range'], clause: string[], params: unknown[]): void {
    for (const [key, bounds] of Object.entries(range ?? {}) as [keyof R & string, Bounds<unknown>][]) {
      const spec = this.definition.columns[key];
      if (spec.sealed) throw new Error(`${key} is sealed: its order is not stored`);
      for (const [bound, value] of Object.entries(bounds) as [keyof Bounds<unknown>, unknown][]) {
        if (value === undefined) continue;
        params.push(value);
        clause.push(`${spec.column} ${RANGE_OPERATORS[bound]} $${params.length}`);
      }
    }
  }

  /** The condition for ReadOptions.matching, or null when the query has no usable term (nothing matches). */
  private async matchingClause(tenantId: string, matching: ReadOptions<R>['matching'], params: unknown[]): Promise<string[] | null> {
    if (!matching) return [];
    const spec = this.definition.columns[matching.key];
    if (!spec.sealed || !spec.searchTokens) throw new Error(`${matching.key} has no search tokens`);
    const terms = spec.searchTokens.termsOf(matching.query);
    if (terms.length === 0) return null;
    const indexKey = await this.kit.keys.current(tenantId, 'index');
    const store = spec.searchTokens.store;
    params.push(terms.map((term) => searchTokenHash(indexKey.key, this.definition.table, spec.column, term)));
    if ('column' in store) return [`${store.column} @> $${params.length}::bytea[]`];
    params.push(terms.length);
    return [`${this.columnOf('id')} IN (SELECT row_id FROM ${store.table} WHERE tenant_id = $1 AND token = ANY($${params.length - 1}::bytea[])
      GROUP BY row_id HAVING count(DISTINCT token) = $${params.length})`];
  }

  private orderClause(orderBy: ReadOptions<R>['orderBy']): string {
    if (!orderBy) return '';
    const parts = (Object.entries(orderBy) as [keyof R & string, 'asc' | 'desc'][])
      .map(([key, direction]) => `${this.columnOf(key)} ${direction === 'desc' ? 'DESC' : 'ASC'}`);
    return parts.length > 0 ? ` ORDER BY ${parts.join(', ')}` : '';
  }

  /** Column names and parameters for the given properties, PHI sealed, blind-indexed and search-tokenised. */
  private async toColumns(tenantId: string, rowId: string, values: Partial<R>): Promise<ColumnValues> {
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
        if (spec.searchTokens) this.addSearchTokens(spec.searchTokens.store, [], columns, params, searchTokens);
      } else if (spec.sealed) {
        if (typeof value !== 'string') throw new Error(`${key} is sealed and must be a string`);
        const dataKey = await this.kit.keys.current(tenantId, 'data');
        columns.push(spec.column);
        params.push(seal(dataKey.key, dataKey.version, value, { tenantId, table: this.definition.table, column: spec.column, rowId }));
        if (spec.blindIndex || spec.searchTokens) {
          const indexKey = await this.kit.keys.current(tenantId, 'index');
          if (spec.blindIndex) {
            columns.push(spec.blindIndex.column);
            params.push(blindIndex(indexKey.key, spec.blindIndex.normalize(value)));
          }
          if (spec.searchTokens) {
            const tokens = spec.searchTokens.tokensOf(value).map((token) => searchTokenHash(indexKey.key, this.definition.table, spec.column, token));
            this.addSearchTokens(spec.searchTokens.store, tokens, columns, params, searchTokens);
          }
        }
      } else if (!columns.includes(spec.column)) {
        columns.push(spec.column);
        params.push(value);
      }
    }
    return { columns, params, searchTokens };
  }

  /** Tokens stored in the row go with its columns (null: nothing to find); a side table's are written after it. */
  private addSearchTokens(store: SearchTokenStore, tokens: Buffer[], columns: string[], params: unknown[], sideTables: SearchTokenWrite[]): void {
    if ('column' in store) {
      columns.push(store.column);
      params.push(tokens.length > 0 ? tokens : null);
    } else {
      sideTables.push({ table: store.table, tokens });
    }
  }

  private async fromRow(tenantId: string, row: DbRow, keys: (keyof R & string)[]): Promise<Partial<R>> {
    const record: Record<string, unknown> = {};
    const rowId = String(row[this.columnOf('id')]);
    for (const key of keys) {
      const spec = this.definition.columns[key];
      const stored = row[spec.column];
      record[key] = spec.sealed && stored !== null ? await this.openValue(tenantId, rowId, spec.column, stored) : stored;
    }
    return record as Partial<R>;
  }

  private async openValue(tenantId: string, rowId: string, column: string, stored: unknown): Promise<string> {
    const location = { tenantId, table: this.definition.table, column, rowId };
    try {
      if (!Buffer.isBuffer(stored)) throw new SealOpenError('not an envelope');
      const dataKey = await this.kit.keys.version(tenantId, 'data', sealedKeyVersion(stored));
      return open(dataKey.key, stored, location);
    } catch (error) {
      if (error instanceof SealOpenError) throw new SealedDataIntegrityError({ table: location.table, column, rowId });
      throw error;
    }
  }

  private withPlaintext(row: DbRow, values: Partial<R>): R {
    const record: Record<string, unknown> = {};
    for (const [key, spec] of this.entries()) {
      record[key] = spec.sealed ? (values[key] ?? null) : row[spec.column];
    }
    return record as R;
  }
}

/** How a multi-row write names its rows in the audit event (the first hundred ids). */
function rowsNamed(ids: readonly string[]): AuditDetails {
  return { count: ids.length, ids: ids.slice(0, 100) };
}

function existsClause(row: ExistingRow, tenantId: string, statement: StatementBuilder): string {
  const conditions = [`tenant_id = ${statement.add(tenantId)}`, ...Object.entries(row.where).map(([column, value]) => `${column} = ${statement.add(value)}`)];
  return `EXISTS (SELECT 1 FROM ${row.table} WHERE ${conditions.join(' AND ')})`;
}

/** Numbered parameters for a statement composed of several parts. */
class StatementBuilder {
  readonly params: unknown[] = [];

  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  addAll(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}

interface SearchTokenWrite {
  table: string;
  tokens: Buffer[];
}

interface ColumnValues {
  columns: string[];
  params: unknown[];
  searchTokens: SearchTokenWrite[];
}

/** Domain-separated so the same word in two columns (or tables) yields unrelated tokens. */
function searchTokenHash(key: KeyObject, table: string, column: string, token: string): Buffer {
  return blindIndex(key, `${table}.${column}\u0000${token}`);
}

async function writeSearchTokens(tx: TenantTx, tenantId: string, rowId: string, writes: SearchTokenWrite[], replace: boolean): Promise<void> {
  for (const { table, tokens } of writes) {
    if (replace) await tx.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND row_id = $2`, [tenantId, rowId]);
    if (tokens.length === 0) continue;
    await tx.query(
      `INSERT INTO ${table} (tenant_id, row_id, token) SELECT $1, $2, unnest($3::bytea[]) ON CONFLICT DO NOTHING`,
      [tenantId, rowId, tokens],
    );
  }
}

/** PostgreSQL's unique_violation, as the driver reports it. */
function isUniqueViolation(error: unknown): error is { code: '23505'; constraint?: string } {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}
