import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { TenantRecord, tenantTable } from './tenant.table';

export class TenantRepository extends TenantScopedRepository<TenantRecord> {
  constructor(kit: PersistenceKit) {
    super(tenantTable, kit);
  }

  create(tenant: { id: string; slug: string; name: string }): Promise<TenantRecord> {
    return this.insert({ tenantId: tenant.id, slug: tenant.slug, name: tenant.name, status: 'active', settings: {} });
  }

  findById(tenantId: string): Promise<TenantRecord | null> {
    return this.findOne({ tenantId });
  }
}
