import { randomUUID } from 'node:crypto';
import { TenantTransactions } from '../../platform/database/tenant-transactions';
import type { FieldViolation } from '../../platform/errors';
import { passwordProblems, UserDirectory } from '../identity';
import { TenantRegistry } from '../tenants';
import { invalidTenantRequest } from './onboarding-errors';

export interface NewTenant {
  slug: string;
  name: string;
  adminEmail: string;
  adminPassword: string;
}

export interface ProvisionedTenant {
  tenantId: string;
  slug: string;
  adminUserId: string;
}

/** What provisioning needs of each module it spans; narrow so that a test can hand it fakes. */
export type TenantRows = Pick<TenantRegistry, 'create'>;
export type FirstAdministrators = Pick<UserDirectory, 'createFirstAdministrator'>;
export type Transactions = Pick<TenantTransactions, 'run'>;

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Creates a tenant and its first administrator in one transaction, with their audit events. */
export class TenantProvisioning {
  constructor(
    private readonly transactions: Transactions,
    private readonly tenants: TenantRows,
    private readonly administrators: FirstAdministrators,
  ) {}

  async provision(request: NewTenant): Promise<ProvisionedTenant> {
    const problems = validate(request);
    if (problems.length > 0) throw invalidTenantRequest(problems);
    const tenantId = randomUUID();
    return this.transactions.run(tenantId, async () => {
      const tenant = await this.tenants.create({ id: tenantId, slug: request.slug, name: request.name });
      const admin = await this.administrators.createFirstAdministrator(tenantId, request.adminEmail, request.adminPassword);
      return { tenantId: tenant.id, slug: tenant.slug, adminUserId: admin.id };
    });
  }
}

function validate(request: NewTenant): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (!SLUG.test(request.slug)) problems.push({ field: 'slug', constraints: ['matches ^[a-z0-9][a-z0-9-]{1,62}$'] });
  if (request.name.trim().length === 0 || request.name.length > 200) problems.push({ field: 'name', constraints: ['length 1-200'] });
  if (!EMAIL.test(request.adminEmail) || request.adminEmail.length > 254) problems.push({ field: 'adminEmail', constraints: ['isEmail'] });
  const passwordIssues = passwordProblems(request.adminPassword);
  if (passwordIssues.length > 0) problems.push({ field: 'adminPassword', constraints: passwordIssues });
  return problems;
}
