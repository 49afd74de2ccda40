import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DependencyUnavailableError, TenantScopeViolationError } from '../errors';
import { isUuid } from '../validation/uuid';

export interface QueryRows<T> {
  rows: T[];
  rowCount: number;
}

/** One open transaction whose every statement runs under one tenant's row-level-security setting. */
export interface TenantTx {
  readonly tenantId: string;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryRows<T>>;
  /** Runs once this transaction has committed (never if it rolls back). */
  onCommit(callback: () => void): void;
}

/** How busy a pool is: what readiness and the benchmarks report. */
export type PoolStats = {
  size: number;
  idle: number;
  /** Requests queued for a connection right now. */
  waiting: number;
};

/**
 * Code inside an open transaction asked the same pool for a second connection. Under load every connection can be
 * held by such a caller, each waiting for one of the others: the pool deadlocks (issue 19). A programming error,
 * refused at once so that tests find it instead of production.
 */
export class NestedPoolAcquisitionError extends Error {
  constructor() {
    super('a pool connection was requested from inside an open transaction on the same pool');
  }
}

/** SQLSTATE classes that mean the database (not the statement) failed: connection exceptions, shutdown, crash. */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;

/**
 * The database went away under a statement (crash, restart, failover), or no connection could be had in time
 * (pg-pool's acquisition timeout), rather than refusing the statement itself.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  if (UNAVAILABLE_SQLSTATE.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return error instanceof Error
    && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(error.message);
}

/** pg's pool under a TypeORM DataSource. */
function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

type ConnectCallback = (error: Error | undefined, client?: PoolClient, release?: () => void) => void;

/**
 * Every way into the pool (TypeORM, pool.query, our own transactions) goes through pool.connect: refusing there
 * covers callers that do not know about tenant transactions at all.
 */
function refuseNestedAcquisition(pool: Pool, insideOpenTransaction: () => boolean): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<PoolClient> | undefined;
  const guarded = (callback?: ConnectCallback): Promise<PoolClient> | undefined => {
    if (!insideOpenTransaction()) return connect(callback);
    const error = new NestedPoolAcquisitionError();
    if (!callback) return Promise.reject(error);
    process.nextTick(() => callback(error));
    return undefined;
  };
  Object.assign(pool, { connect: guarded });
}

class PoolClientTx implements TenantTx {
  readonly committed: (() => void)[] = [];
  open = true;

  constructor(readonly tenantId: string, private readonly client: PoolClient) {}

  onCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryRows<T>> {
    const result = await this.client.query(sql, [...params]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }
}

/**
 * Runs work in a transaction bound to one tenant (`app.tenant_id`, transaction-local). Work started inside an
 * open transaction joins it, so a repository write, its audit event and an outbox row commit together; joining
 * with another tenant is refused. Work inside a transaction never takes a second connection from the same pool
 * (NestedPoolAcquisitionError); what must run beside a transaction (data-key loads) has a pool of its own.
 */
export class TenantTransactions {
  private readonly active = new AsyncLocalStorage<PoolClientTx>();

  /** The hot path uses pg's pool directly, skipping TypeORM's query runner (about a third of its cost). */
  constructor(private readonly pool: Pool) {
    refuseNestedAcquisition(pool, () => this.current() !== undefined);
  }

  static over(dataSource: DataSource): TenantTransactions {
    return new TenantTransactions(poolOf(dataSource));
  }

  get stats(): PoolStats {
    return { size: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** The transaction this code runs in, while it is open (callbacks that outlive it see none). */
  current(): TenantTx | undefined {
    const tx = this.active.getStore();
    return tx?.open ? tx : undefined;
  }

  async run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    const open = this.current();
    if (open) {
      if (open.tenantId !== tenantId) throw new TenantScopeViolationError();
      return work(open);
    }
    return this.runDetached(tenantId, work);
  }

  /** A transaction of its own, never joining an open one: for state that must outlive a caller's rollback. */
  async runDetached<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new TenantScopeViolationError();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw isDatabaseUnavailable(error) ? new DependencyUnavailableError('database') : error;
    }
    let broken: Error | undefined;
    // pg-pool stops listening to a client it has lent out: without a listener of ours, a connection that dies
    // while checked out (crash, failover, terminated backend) raises an unhandled 'error' and ends the process.
    const onConnectionError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onConnectionError);
    try {
      // The tenant id is a validated UUID, so BEGIN and the setting travel in one round trip.
      await client.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
      const tx = new PoolClientTx(tenantId, client);
      let result: T;
      try {
        result = await this.active.run(tx, () => work(tx));
      } catch (error) {
        tx.open = false;
        await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
          // A connection that cannot roll back must not go back to the pool with a transaction open.
          broken = rollbackFailure instanceof Error ? rollbackFailure : new Error('rollback failed');
        });
        throw error;
      }
      tx.open = false;
      await client.query('COMMIT');
      for (const callback of tx.committed) callback();
      return result;
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        broken ??= error instanceof Error ? error : new Error('database unavailable');
        throw new DependencyUnavailableError('database');
      }
      throw error;
    } finally {
      client.removeListener('error', onConnectionError);
      client.release(broken);
    }
  }
}
