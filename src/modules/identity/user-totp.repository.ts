import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { UserTotpRecord, userTotpTable } from './user-totp.table';

export class UserTotpRepository extends TenantScopedRepository<UserTotpRecord> {
  constructor(kit: PersistenceKit) {
    super(userTotpTable, kit);
  }

  /** Opens the secret: audited as a read. */
  find(tenantId: string, userId: string): Promise<UserTotpRecord | null> {
    return this.findOne({ tenantId, id: userId });
  }

  async isConfirmed(tenantId: string, userId: string): Promise<boolean> {
    const [totp] = await this.findColumns({ tenantId, id: userId }, ['confirmedAt']);
    return totp?.confirmedAt != null;
  }

  /** A new, unconfirmed secret replaces an earlier unconfirmed one. */
  replaceUnconfirmed(tenantId: string, userId: string, secret: string): Promise<UserTotpRecord> {
    return this.transaction(tenantId, async () => {
      await this.delete({ tenantId, id: userId }, { auditAction: 'user_totp.discard' });
      return this.insert({ tenantId, id: userId, secret }, { auditAction: 'user_totp.enroll' });
    });
  }

  /**
   * Records an accepted code's step, but only if no other request recorded one since `previousStep` was read:
   * of two requests with the same code, one wins.
   */
  async useStep(tenantId: string, userId: string, previousStep: string | null, step: number, confirm: boolean): Promise<boolean> {
    const patch = confirm ? { lastUsedStep: String(step), confirmedAt: new Date() } : { lastUsedStep: String(step) };
    const changed = await this.updateWhere({ tenantId, id: userId, lastUsedStep: previousStep }, patch, {
      auditAction: confirm ? 'user_totp.confirm' : 'user_totp.use',
    });
    return changed.length === 1;
  }

  remove(tenantId: string, userId: string): Promise<boolean> {
    return this.delete({ tenantId, id: userId }, { auditAction: 'user_totp.remove' });
  }
}
