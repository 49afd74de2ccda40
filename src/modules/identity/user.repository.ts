import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { normalizeEmail, UserRecord, UserRole, userTable } from './user.table';

export interface NewUser {
  tenantId: string;
  email: string;
  displayName: string;
  role: UserRole;
  passwordHash: string | null;
}

export class UserRepository extends TenantScopedRepository<UserRecord> {
  constructor(kit: PersistenceKit) {
    super(userTable, kit);
  }

  create(user: NewUser): Promise<UserRecord> {
    return this.insert({ ...user, email: normalizeEmail(user.email), status: 'active' });
  }

  findById(tenantId: string, id: string): Promise<UserRecord | null> {
    return this.findOne({ tenantId, id });
  }

  findByEmail(tenantId: string, email: string): Promise<UserRecord | null> {
    return this.findOne({ tenantId, email });
  }

  rename(tenantId: string, id: string, displayName: string): Promise<UserRecord | null> {
    return this.update({ tenantId, id }, { displayName });
  }
}
