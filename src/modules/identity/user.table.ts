import { Role } from '../../platform/auth/principal';
import { TableDefinition } from '../../platform/persistence/table-definition';
import { wordPrefixTokens } from '../../platform/persistence/word-prefix-tokens';

export type UserRole = Role;
export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  role: UserRole;
  status: UserStatus;
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Display names are found by word prefix (two characters or more) through blind tokens, never plaintext. */
export const displayNameSearch = wordPrefixTokens({ store: { table: 'app_user_display_name_token' }, minPrefix: 2, maxPrefix: 20 });

/** Email and display name are PHI: sealed, with a blind index for exact email lookup and tokens for name search. */
export const userTable: TableDefinition<UserRecord> = {
  table: 'app_user',
  resourceType: 'user',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    email: { column: 'email_sealed', sealed: true, blindIndex: { column: 'email_bidx', normalize: normalizeEmail } },
    displayName: { column: 'display_name_sealed', sealed: true, searchTokens: displayNameSearch },
    role: { column: 'role' },
    status: { column: 'status' },
    passwordHash: { column: 'password_hash' },
    createdAt: { column: 'created_at' },
    updatedAt: { column: 'updated_at' },
  },
};
