// The tenants module's public surface: other modules import from here, never from the files behind it.
export { TenantsModule } from './tenants.module';
export { TenantLookup } from './tenant-lookup';
export type { ActiveTenant } from './tenant-lookup';
export { TenantRegistry } from './tenant-registry';
export type { CreatedTenant, NewTenantRow } from './tenant-registry';
export type { TenantAttachmentSettings, TenantSecuritySettings } from './tenant-settings';
