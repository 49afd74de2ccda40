import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { hashPassword } from './password-hasher';
import { UserStatus } from './user.table';
import { UserRepository } from './user.repository';

/** The user directory as the other modules see it: who is active, and a new tenant's first administrator. */
export class UserDirectory {
  private readonly users: UserRepository;

  constructor(kit: PersistenceKit) {
    this.users = new UserRepository(kit);
  }

  /** Each found user's status, by id; an id not in the tenant is absent. Opens nothing sealed. */
  statusesOf(tenantId: string, userIds: readonly string[]): Promise<Map<string, UserStatus>> {
    return this.users.statusesOf(tenantId, userIds);
  }

  /** Inside the caller's transaction when there is one (provisioning creates the tenant in the same one). */
  async createFirstAdministrator(tenantId: string, email: string, password: string): Promise<{ id: string }> {
    const passwordHash = await hashPassword(password);
    const admin = await this.users.create({ tenantId, email, displayName: 'Administrator', role: 'tenant_admin', passwordHash });
    return { id: admin.id };
  }
}
