// The identity module's public surface: other modules import from here, never from the files behind it.
export { IdentityModule } from './identity.module';
export { UserDirectory } from './user-directory';
export { passwordProblems } from './password-policy';
export type { UserStatus } from './user.table';
