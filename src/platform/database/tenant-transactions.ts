import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, QueryRunner } from 'typeorm';
import { TenantScopeViolationError } from '../http/app-error';

export interface QueryRows<T> {
  rows: T[];
  rowCount: number;
}

/** One open transaction whose every statement runs under one tenant's row-level-security setting. */
export interface TenantTx {
  readonly tenantId: string;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryRows<T>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: string): boolean {
  return UUID.test(value);
}

class QueryRunnerTx implements TenantTx {
  constructor(readonly tenantId: string, private readonly runner: QueryRunner) {}

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryRows<T>> {
    const result = await this.runner.query(sql, [...params], true) as { records?: T[]; affected?: number };
    const rows = result.records ?? [];
    return { rows, rowCount: result.affected ?? rows.length };
  }
}

/**
 * Runs work in a transaction bound to one tenant (`app.tenant_id`, transaction-local). Work started inside an
 * open transaction joins it, so a repository write, its audit event and an outbox row commit together; joining
 * with another tenant is refused.
 */
export class TenantTransactions {
  private readonly active = new AsyncLocalStorage<TenantTx>();

  constructor(private readonly dataSource: DataSource) {}

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
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      // The tenant id is a validated UUID, so BEGIN and the setting travel in one round trip.
      await runner.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
      const tx = new QueryRunnerTx(tenantId, runner);
      let result: T;
      try {
        result = await this.active.run(tx, () => work(tx));
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await runner.query('COMMIT');
      return result;
    } finally {
      await runner.release();
    }
  }
}
