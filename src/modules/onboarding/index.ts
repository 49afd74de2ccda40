// The onboarding module's public surface: other code imports from here, never from the files behind it.
export { OnboardingModule } from './onboarding.module';
export { TenantProvisioning } from './tenant-provisioning';
export type { NewTenant, ProvisionedTenant } from './tenant-provisioning';
