// The identity module's public surface: other modules import from here, never from the files behind it.
import { sealedLogKeys } from '../../platform/observability/logger';
import { sessionTable } from './session.table';
import { userTotpTable } from './user-totp.table';
import { userTable } from './user.table';
export { IdentityModule } from './identity.module';
export { UserDirectory } from './user-directory';
export { passwordProblems } from './password-policy';
export type { UserStatus } from './user.table';

/** The names its sealed columns go by (property and column): the loggers redact them wherever they appear. */
export const identityLogRedaction: readonly string[] = sealedLogKeys([userTable, sessionTable, userTotpTable]);
