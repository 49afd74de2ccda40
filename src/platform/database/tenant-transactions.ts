import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DependencyUnavailableError, TenantScopeViolationError } from '../http/app-error';
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

/** SQLSTATE classes that mean the database (not the statement) failed: connection exceptions, shutdown, crash. */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;

/** The database went away under a statement (crash, restart, failover), rather than refusing the statement itself. */
function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  if (UNAVAILABLE_SQLSTATE.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return error instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}

class PoolClientTx implements TenantTx {
  readonly committed: (() => void)[] = [];

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
 * with another tenant is refused.
 */
export class TenantTransactions {
  private readonly active = new AsyncLocalStorage<TenantTx>();
  /** pg's pool under TypeORM's DataSource: the hot path skips TypeORM's query runner (about a third of its cost). */
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  current(): TenantTx | undefined {
    return this.active.getStore();
  }

  async run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    const open = this.active.getStore();
    if (open) {
      if (open.tenantId !== tenantId) throw new TenantScopeViolationError();
      return work(open);
    }
    return this.runDetached(tenantId, work);
  }

  /** A transaction of its own even inside another: for state that must outlive the caller's rollback (data keys). */
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
        await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
          // A connection that cannot roll back must not go back to the pool with a transaction open.
          broken = rollbackFailure instanceof Error ? rollbackFailure : new Error('rollback failed');
        });
        throw error;
      }
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
