import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { normalizeEmail, UserRecord, UserRole, UserStatus, userTable } from './user.table';

export interface NewUser {
  tenantId: string;
  email: string;
  displayName: string;
  role: UserRole;
  passwordHash: string | null;
}

export interface UserPage {
  limit: number;
  /** Keyset cursor: the last id of the previous page. */
  afterId?: string;
}

export interface UserChanges {
  displayName?: string;
  role?: UserRole;
  status?: UserStatus;
}

export type Credentials = Pick<UserRecord, 'id' | 'role' | 'status' | 'passwordHash'>;

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

  /** What login needs, found by the email's blind index; opens nothing sealed. */
  async credentialsByEmail(tenantId: string, email: string): Promise<Credentials | null> {
    const [user] = await this.findColumns({ tenantId, email }, ['role', 'status', 'passwordHash']);
    return user ?? null;
  }

  async credentialsById(tenantId: string, id: string): Promise<Credentials | null> {
    const [user] = await this.findColumns({ tenantId, id }, ['role', 'status', 'passwordHash']);
    return user ?? null;
  }

  /** Each found user's status, by id; opens nothing sealed. */
  async statusesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, UserStatus>> {
    const users = await this.findColumns({ tenantId, id: ids }, ['status']);
    return new Map(users.map((user) => [user.id, user.status]));
  }

  list(tenantId: string, page: UserPage): Promise<UserRecord[]> {
    return this.findMany({ tenantId }, pageOptions(page));
  }

  /** Users whose display name has a word starting with each word of the query. */
  searchByName(tenantId: string, query: string, page: UserPage): Promise<UserRecord[]> {
    return this.findMany({ tenantId }, { ...pageOptions(page), matching: { key: 'displayName', query } }, { auditAction: 'user.search' });
  }

  change(tenantId: string, id: string, changes: UserChanges): Promise<UserRecord | null> {
    return this.update({ tenantId, id }, changes);
  }

  async setPasswordHash(tenantId: string, id: string, passwordHash: string, reason: 'password_changed' | 'rehash'): Promise<void> {
    await this.updateWhere({ tenantId, id }, { passwordHash }, { auditAction: reason === 'rehash' ? 'user.password_rehash' : 'user.password_change' });
  }
}

function pageOptions(page: UserPage): { orderBy: { id: 'asc' }; limit: number; range?: { id: { gt: string } } } {
  return { orderBy: { id: 'asc' }, limit: page.limit, ...(page.afterId ? { range: { id: { gt: page.afterId } } } : {}) };
}
