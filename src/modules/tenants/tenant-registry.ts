import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantRepository } from './tenant.repository';
import { securitySettingsOf, TenantSecuritySettings } from './tenant-settings';

export interface NewTenantRow {
  id: string;
  slug: string;
  name: string;
}

export interface CreatedTenant {
  id: string;
  slug: string;
}

/**
 * The tenant rows themselves, for the other modules: a new tenant at provisioning, and its stored security settings
 * read fresh (unlike TenantLookup, whose answers may be a few seconds old), whatever its status.
 */
export class TenantRegistry {
  private readonly tenants: TenantRepository;

  constructor(kit: PersistenceKit) {
    this.tenants = new TenantRepository(kit);
  }

  async create(tenant: NewTenantRow): Promise<CreatedTenant> {
    const created = await this.tenants.create(tenant);
    return { id: created.id, slug: created.slug };
  }

  /** Null when there is no such tenant. */
  async securitySettingsOf(tenantId: string): Promise<TenantSecuritySettings | null> {
    const tenant = await this.tenants.findById(tenantId);
    return tenant ? securitySettingsOf(tenant.settings) : null;
  }
}
