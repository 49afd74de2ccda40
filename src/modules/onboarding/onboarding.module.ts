import { Module } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { IdentityModule, UserDirectory } from '../identity';
import { TenantRegistry, TenantsModule } from '../tenants';
import { TenantProvisioning } from './tenant-provisioning';

/**
 * A new tenant and its first administrator. It spans tenants and identity, so it lives above both: identity reads
 * tenant settings, and neither needs the other to provision.
 */
@Module({
  imports: [TenantsModule, IdentityModule],
  providers: [
    {
      provide: TenantProvisioning,
      inject: [PersistenceKit, TenantRegistry, UserDirectory],
      useFactory: (kit: PersistenceKit, tenants: TenantRegistry, users: UserDirectory) => new TenantProvisioning(kit.transactions, tenants, users),
    },
  ],
  exports: [TenantProvisioning],
})
export class OnboardingModule {}
