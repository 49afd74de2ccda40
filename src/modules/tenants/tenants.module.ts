import { Module } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantDirectory } from '../../platform/persistence/tenant-directory';
import { TenantLookup } from './tenant-lookup';
import { TenantRegistry } from './tenant-registry';

/** Tenants and their settings: the cached lookup of active tenants, and the registry of tenant rows. */
@Module({
  providers: [
    {
      provide: TenantLookup,
      inject: [PersistenceKit, TenantDirectory],
      useFactory: (kit: PersistenceKit, directory: TenantDirectory) => new TenantLookup(kit, directory),
    },
    { provide: TenantRegistry, inject: [PersistenceKit], useFactory: (kit: PersistenceKit) => new TenantRegistry(kit) },
  ],
  exports: [TenantLookup, TenantRegistry],
})
export class TenantsModule {}
