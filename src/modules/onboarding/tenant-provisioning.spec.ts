import { randomUUID } from 'node:crypto';
import { TenantTransactions, TenantTx } from '../../platform/database/tenant-transactions';
import { AppError, ErrorCode } from '../../platform/errors';
import { CreatedTenant, NewTenantRow } from '../tenants';
import { FirstAdministrators, NewTenant, TenantProvisioning, TenantRows } from './tenant-provisioning';

/** Records which tenant each unit of work ran for, and what was written while it ran. */
class FakeTransactions implements Pick<TenantTransactions, 'run'> {
  readonly runs: { tenantId: string; writes: string[] }[] = [];

  async run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    this.runs.push({ tenantId, writes: [] });
    return work({ tenantId, query: () => Promise.reject(new Error('no database in a unit test')), onCommit: () => undefined });
  }

  record(write: string): void {
    const current = this.runs.at(-1);
    if (!current) throw new Error(`${write} written outside a transaction`);
    current.writes.push(write);
  }
}

class FakeTenantRows implements TenantRows {
  readonly created: NewTenantRow[] = [];

  constructor(private readonly transactions: FakeTransactions) {}

  async create(tenant: NewTenantRow): Promise<CreatedTenant> {
    this.transactions.record(`tenant ${tenant.id}`);
    this.created.push(tenant);
    return { id: tenant.id, slug: tenant.slug };
  }
}

class FakeAdministrators implements FirstAdministrators {
  readonly created: { tenantId: string; email: string }[] = [];

  constructor(private readonly transactions: FakeTransactions) {}

  async createFirstAdministrator(tenantId: string, email: string): Promise<{ id: string }> {
    this.transactions.record(`admin of ${tenantId}`);
    this.created.push({ tenantId, email });
    return { id: randomUUID() };
  }
}

function setup() {
  const transactions = new FakeTransactions();
  const tenants = new FakeTenantRows(transactions);
  const administrators = new FakeAdministrators(transactions);
  return { transactions, tenants, administrators, provisioning: new TenantProvisioning(transactions, tenants, administrators) };
}

const VALID: NewTenant = { slug: 'acme', name: 'Acme Clinic', adminEmail: 'admin@acme.test', adminPassword: 'correct horse battery staple' };

describe('TenantProvisioning', () => {
  it('creates the tenant and its first administrator in one transaction of the new tenant', async () => {
    const { transactions, tenants, administrators, provisioning } = setup();
    const provisioned = await provisioning.provision(VALID);
    expect(tenants.created).toEqual([{ id: provisioned.tenantId, slug: 'acme', name: 'Acme Clinic' }]);
    expect(administrators.created).toEqual([{ tenantId: provisioned.tenantId, email: 'admin@acme.test' }]);
    expect(transactions.runs).toEqual([{ tenantId: provisioned.tenantId, writes: [`tenant ${provisioned.tenantId}`, `admin of ${provisioned.tenantId}`] }]);
    expect(provisioned.slug).toBe('acme');
  });

  it('refuses an invalid request with every problem at once, and creates nothing', async () => {
    const { transactions, provisioning } = setup();
    const error: unknown = await provisioning.provision({ slug: 'A', name: ' ', adminEmail: 'not-an-email', adminPassword: 'short' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(((error as AppError).details as { field: string }[]).map((problem) => problem.field)).toEqual(['slug', 'name', 'adminEmail', 'adminPassword']);
    expect(transactions.runs).toEqual([]);
  });
});
