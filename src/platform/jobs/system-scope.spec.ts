import { DataSource } from 'typeorm';
import { currentContext, RequestContext } from '../context/request-context';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';
import { actAsSystem, SystemScope } from './system-scope';

const tenantId = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The SECURITY DEFINER function's answer, page by page, over `count` tenants. */
function fakeAppDataSource(count: number, calls: unknown[][]): DataSource {
  const ids = Array.from({ length: count }, (_, i) => tenantId(i + 1));
  return {
    query: async (_sql: string, params: unknown[]) => {
      calls.push(params);
      const [after, limit] = params as [string | null, number];
      return ids.filter((id) => after === null || id > after).slice(0, limit).map((id) => ({ id }));
    },
  } as unknown as DataSource;
}

/** Runs work in a transaction stand-in, recording the context each tenant's work saw. */
function fakeTransactions(seen: RequestContext[], failFor?: string): TenantTransactions {
  return {
    run: async <T>(id: string, work: (tx: TenantTx) => Promise<T>): Promise<T> => {
      const context = currentContext();
      if (context) seen.push({ ...context });
      if (id === failFor) throw new Error('this tenant fails');
      return work({ tenantId: id, query: async () => ({ rows: [], rowCount: 0 }), onCommit: () => undefined });
    },
  } as unknown as TenantTransactions;
}

describe('SystemScope', () => {
  it('pages through every tenant id by keyset', async () => {
    const calls: unknown[][] = [];
    const scope = new SystemScope('retention', fakeAppDataSource(1203, calls), fakeTransactions([]));
    const ids: string[] = [];
    for await (const id of scope.tenantIds()) ids.push(id);
    expect(ids).toHaveLength(1203);
    expect(new Set(ids).size).toBe(1203);
    expect(calls).toEqual([[null, 500], [tenantId(500), 500], [tenantId(1000), 500]]);
  });

  it("acts in each tenant's scope as the system actor, and reports a tenant that failed without stopping", async () => {
    const seen: RequestContext[] = [];
    const scope = new SystemScope('retention', fakeAppDataSource(3, []), fakeTransactions(seen, tenantId(2)));
    const visits = await actAsSystem('retention', () => scope.forEachTenant(async () => undefined), 'run-7');
    expect(visits.map((v) => [v.tenantId, v.error instanceof Error])).toEqual([
      [tenantId(1), false], [tenantId(2), true], [tenantId(3), false],
    ]);
    expect(seen.map((c) => [c.tenantId, c.actor, c.requestId])).toEqual([1, 2, 3].map((n) =>
      [tenantId(n), { type: 'system', id: 'retention' }, 'run-7']));
  });

  it('accepts job names only as actors', async () => {
    expect(() => new SystemScope('Retention Job', fakeAppDataSource(0, []), fakeTransactions([]))).toThrow(/invalid system actor/);
    expect(() => actAsSystem('', async () => undefined)).toThrow(/invalid system actor/);
    await expect(actAsSystem('key-rotation.data', async () => currentContext()?.actor)).resolves.toEqual({ type: 'system', id: 'key-rotation.data' });
  });
});
