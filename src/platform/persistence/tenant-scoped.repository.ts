import { randomUUID } from 'node:crypto';
import { AuditDetails, AuditEventInput } from '../audit/audit-event';
import { AuditWriter } from '../audit/audit.writer';
import { currentContext } from '../context/request-context';
import { TenantKeys } from '../crypto/tenant-keys';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';
import { ConflictError, TenantScopeViolationError } from '../errors';
import { Aggregate, AggregateRow, CounterDraw, JoinedRead, Measure, ReadOptions, Where } from './query';
import { DbRow, RowCodec } from './row-codec';
import { searchTokenStatements, SqlStatement, Statement, StatementBuilder } from './statement-builder';
import { StoredRecord, TableDefinition } from './table-definition';
import { AuditOptions, rowsNamed, WriteEvidence } from './write-evidence';

// Repositories import their vocabulary from here, beside the base class they extend.
export type { Aggregate, Bounds, Counter, CounterDraw, ExistingRow, Join, JoinedRead, Measure, ReadOptions, Where } from './query';
export type { AuditOptions } from './write-evidence';

/**
 * What every repository stands on; one instance per process. Each part is typed by what repositories and services
 * call on it, so a unit test can stand in for the database, the keys and the audit writer.
 */
export class PersistenceKit {
  constructor(
    readonly transactions: Pick<TenantTransactions, 'run' | 'current'>,
    readonly keys: Pick<TenantKeys, 'current' | 'version'>,
    readonly audit: Pick<AuditWriter, 'record' | 'recordInTransaction' | 'rowValues'>,
  ) {}
}

/** Updates and deletes address one row of one tenant. */
export interface RowRef {
  tenantId: string;
  id: string;
}
export type InsertValues<R extends StoredRecord> = { tenantId: string } & Partial<Omit<R, 'tenantId'>>;
export type Patch<R extends StoredRecord> = Partial<Omit<R, 'id' | 'tenantId'>>;

export interface ReadAuditOptions<R> extends AuditOptions {
  /** Details computed from what was read, e.g. the seq range of a page of messages. */
  auditDetailsOf?: (records: readonly R[]) => AuditDetails;
}

export interface InsertOptions extends AuditOptions {
  /** Insert only if no row conflicts on a unique key; returns null instead of failing when one does. */
  ifAbsent?: boolean;
}

export interface ConditionalUpdateOptions<R, K> extends AuditOptions {
  range?: ReadOptions<R>['range'];
  /** Plain columns to return for each changed row, besides its id. */
  returning?: readonly K[];
}

/**
 * The only way modules reach PostgreSQL. Every statement is scoped to the caller's tenant (and row-level
 * security is set for it), PHI columns are sealed before they leave the process and opened after they return,
 * every write commits with its audit event, and every read of PHI is audited before it is returned.
 *
 * This class orders the work; its parts do it: the row codec (records to stored rows and back), the statement builder
 * (the SQL), and the write evidence (a write's audit event and outbox row).
 */
export abstract class TenantScopedRepository<R extends StoredRecord> {
  private readonly codec: RowCodec<R>;
  private readonly statements: StatementBuilder<R>;
  private readonly evidence: WriteEvidence;

  protected constructor(protected readonly definition: TableDefinition<R>, private readonly kit: PersistenceKit) {
    this.codec = new RowCodec(definition, kit.keys);
    this.statements = new StatementBuilder(definition);
    this.evidence = new WriteEvidence(definition.resourceType, kit.audit);
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
      const filters = await this.codec.filterOf(where);
      const matching = read.matching ? await this.codec.searchTermsOf(tenantId, read.matching) : undefined;
      if (matching === null) return [];
      const { text, params } = this.statements.select(tenantId, {
        columns: keys, filters, range: read.range, matching, orderBy: read.orderBy, limit: read.limit, forUpdate: read.forUpdate,
      });
      const { rows } = await tx.query<DbRow>(text, params);
      return Promise.all(rows.map((row) => this.codec.fromRow(tenantId, row, keys)));
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
    const event: AuditEventInput = {
      action,
      outcome: 'success',
      tenantId,
      resourceType: this.definition.resourceType,
      resourceId: ids.length === 1 ? ids[0] : undefined,
      details: { count: ids.length, ids: ids.slice(0, 100), ...options.auditDetails },
    };
    // Inside a caller's transaction the event commits with it: the batch writer would need a second connection.
    const open = this.kit.transactions.current();
    await (open ? this.kit.audit.recordInTransaction(open, event) : this.kit.audit.record(event));
  }

  protected async insert(values: InsertValues<R>, options?: AuditOptions & { ifAbsent?: false }): Promise<R>;
  protected async insert(values: InsertValues<R>, options: InsertOptions & { ifAbsent: true }): Promise<R | null>;
  protected async insert(values: InsertValues<R>, options: InsertOptions = {}): Promise<R | null> {
    const tenantId = this.scopeOf(values.tenantId);
    const id = this.definition.tenantColumn === this.statements.columnOf('id') ? tenantId : (values.id ?? randomUUID());
    const record = { ...values, id } as unknown as Partial<R>;
    const event = this.evidence.eventOf('create', [id], options);
    return this.write(tenantId, async (tx) => {
      if (!options.ifAbsent) return this.codec.withPlaintext((await this.insertStatement(tx, id, record, event, options))[0], record);
      const stored = await this.codec.toColumns(tenantId, id, record);
      const { text, params } = this.statements.insertIfAbsent(stored);
      const { rows } = await tx.query<DbRow>(text, params);
      if (rows.length === 0) return null;
      await this.runAll(tx, searchTokenStatements(tenantId, id, stored.searchTokens, false));
      await this.evidence.record(tx, event, options.outbox);
      return this.codec.withPlaintext(rows[0], record);
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
    const event = this.evidence.eventOf('create', [id], options);
    return this.write(tenantId, async (tx) => {
      const [row] = await this.insertStatement(tx, id, record, event, options, draw);
      return row ? this.codec.withPlaintext(row, record) : null;
    });
  }

  /**
   * The row, its search tokens, its audit event and its outbox event (and a counter draw) as one statement: one round
   * trip on the hot path (a send), all or nothing like the rest of the transaction.
   */
  private async insertStatement(tx: TenantTx, id: string, record: Partial<R>, event: AuditEventInput, options: AuditOptions, draw?: CounterDraw<R>): Promise<DbRow[]> {
    const stored = await this.codec.toColumns(tx.tenantId, id, record);
    const statement = new Statement();
    const parts = this.statements.insertParts(statement, tx.tenantId, id, stored, draw);
    const drawn = draw && { property: draw.into, column: this.statements.columnOf(draw.into) };
    parts.push(...await this.evidence.statementParts(tx, statement, event, options.outbox, drawn));
    const { text, params } = this.statements.writtenBy(statement, parts);
    return (await tx.query<DbRow>(text, params)).rows;
  }

  /** Returns the updated record, or null when the row does not exist in this tenant. */
  protected async update(ref: RowRef, patch: Patch<R>, options: AuditOptions = {}): Promise<R | null> {
    const tenantId = this.scopeOf(ref.tenantId);
    const changes = patch as Partial<R>;
    return this.write(tenantId, async (tx) => {
      const stored = await this.codec.toColumns(tenantId, ref.id, changes);
      const { text, params } = this.statements.updateRow(tenantId, ref.id, stored);
      const { rows } = await tx.query<DbRow>(text, params);
      if (rows.length === 0) return null;
      await this.runAll(tx, searchTokenStatements(tenantId, ref.id, stored.searchTokens, true));
      await this.evidence.record(tx, this.evidence.eventOf('update', [ref.id], options, { fields: Object.keys(changes).sort() }), options.outbox);
      return this.codec.fromRow(tenantId, rows[0], this.keys()) as Promise<R>;
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
      const filters = await this.codec.filterOf(where);
      const stored = await this.codec.toColumns(tenantId, '', changes);
      const { text, params } = this.statements.updateWhere(tenantId, filters, options.range, stored, returning);
      const { rows } = await tx.query<DbRow>(text, params);
      const records = await Promise.all(rows.map((row) => this.codec.fromRow(tenantId, row, returning)));
      const ids = records.map((record) => String(record.id));
      if (ids.length > 0) {
        await this.evidence.record(tx, this.evidence.eventOf('update', ids, options, { fields: Object.keys(changes).sort(), ...rowsNamed(ids) }), options.outbox);
      }
      return records as Pick<R, K | 'id'>[];
    });
  }

  /** Returns false when the row does not exist in this tenant. */
  protected async delete(ref: RowRef, options: AuditOptions = {}): Promise<boolean> {
    const tenantId = this.scopeOf(ref.tenantId);
    return this.write(tenantId, async (tx) => {
      const { text, params } = this.statements.deleteRow(tenantId, ref.id);
      const { rowCount } = await tx.query(text, params);
      if (rowCount === 0) return false;
      await this.evidence.record(tx, this.evidence.eventOf('delete', [ref.id], options), options.outbox);
      return true;
    });
  }

  /** Deletes every row matching `where`; one audit event names them. Returns the deleted ids. */
  protected async deleteWhere(where: Where<R>, options: AuditOptions = {}): Promise<string[]> {
    const tenantId = this.scopeOf(where.tenantId);
    return this.write(tenantId, async (tx) => {
      const { text, params } = this.statements.deleteWhere(tenantId, await this.codec.filterOf(where));
      const { rows } = await tx.query<DbRow>(text, params);
      const ids = rows.map((row) => String(row[this.statements.columnOf('id')]));
      if (ids.length > 0) await this.evidence.record(tx, this.evidence.eventOf('delete', ids, options, rowsNamed(ids)), options.outbox);
      return ids;
    });
  }

  /**
   * Rows of this table joined to another table of the same tenant (a list with the caller's membership of each item),
   * plain columns of both. The tenant columns of both tables are joined and filtered here, and no PHI is read, so it
   * is not audited as a read.
   */
  protected async findJoined<J extends StoredRecord, K extends keyof R & string, JK extends keyof J & string>(
    where: Where<R>,
    read: JoinedRead<R, J, K, JK>,
  ): Promise<(Pick<R, K> & Pick<J, JK>)[]> {
    const tenantId = this.scopeOf(where.tenantId);
    return this.kit.transactions.run(tenantId, async (tx) => {
      const { text, params } = this.statements.joinedSelect(tenantId, await this.codec.filterOf(where), read);
      return (await tx.query<Pick<R, K> & Pick<J, JK>>(text, params)).rows;
    });
  }

  /**
   * Counts and summaries of this table's rows in groups (optionally over its join with another table of the same
   * tenant), plain columns only, tenant columns joined and filtered here; reads no PHI, so it is not audited as a read.
   */
  protected async aggregate<G extends keyof R & string, M extends Record<string, Measure<R>>, J extends StoredRecord = StoredRecord>(
    where: Where<R>,
    query: Aggregate<R, J, G, M>,
  ): Promise<AggregateRow<R, G, M>[]> {
    const tenantId = this.scopeOf(where.tenantId);
    return this.kit.transactions.run(tenantId, async (tx) => {
      const { text, params } = this.statements.aggregate(tenantId, await this.codec.filterOf(where), query);
      return (await tx.query<AggregateRow<R, G, M>>(text, params)).rows;
    });
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

  private async runAll(tx: TenantTx, statements: readonly SqlStatement[]): Promise<void> {
    for (const { text, params } of statements) await tx.query(text, params);
  }

  private keys(): (keyof R & string)[] {
    return Object.keys(this.definition.columns) as (keyof R & string)[];
  }

  private keysOf(values: Partial<R>): (keyof R & string)[] {
    return (Object.keys(values) as (keyof R & string)[]).filter((key) => values[key] !== undefined);
  }
}

/** PostgreSQL's unique_violation, as the driver reports it. */
function isUniqueViolation(error: unknown): error is { code: '23505'; constraint?: string } {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}
