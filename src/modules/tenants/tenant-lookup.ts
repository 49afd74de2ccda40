import { LRUCache } from 'lru-cache';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantDirectory } from '../../platform/persistence/tenant-directory';
import { TenantRepository } from './tenant.repository';
import { attachmentSettingsOf, securitySettingsOf, TenantAttachmentSettings, TenantSecuritySettings } from './tenant-settings';

export interface ActiveTenant {
  id: string;
  settings: TenantSecuritySettings;
  attachments: TenantAttachmentSettings;
}

/** Suspending a tenant or changing its settings reaches logins, refreshes and attachment rules within this time. */
const TENANT_LOOKUP_TTL_MS = 5_000;

/**
 * The active tenant behind a slug or an id, as login and refresh need it on every call: remembered per process
 * for a few seconds, because two database reads per login are a third of what a login costs besides argon2.
 */
export class TenantLookup {
  private readonly tenants: TenantRepository;
  private readonly bySlug = new LRUCache<string, { tenant: ActiveTenant | null }>({ max: 10_000, ttl: TENANT_LOOKUP_TTL_MS });
  private readonly byId = new LRUCache<string, { tenant: ActiveTenant | null }>({ max: 10_000, ttl: TENANT_LOOKUP_TTL_MS });

  constructor(kit: PersistenceKit, private readonly directory: TenantDirectory) {
    this.tenants = new TenantRepository(kit);
  }

  async activeBySlug(slug: string): Promise<ActiveTenant | null> {
    const cached = this.bySlug.get(slug);
    if (cached) return cached.tenant;
    const id = await this.directory.idForSlug(slug);
    const tenant = id ? await this.activeById(id) : null;
    this.bySlug.set(slug, { tenant });
    return tenant;
  }

  async activeById(id: string): Promise<ActiveTenant | null> {
    const cached = this.byId.get(id);
    if (cached) return cached.tenant;
    const record = await this.tenants.findById(id);
    const tenant = record?.status === 'active'
      ? { id: record.id, settings: securitySettingsOf(record.settings), attachments: attachmentSettingsOf(record.settings) }
      : null;
    this.byId.set(id, { tenant });
    return tenant;
  }
}
