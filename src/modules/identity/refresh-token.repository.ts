import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { RefreshTokenRecord, refreshTokenTable } from './refresh-token.table';

export class RefreshTokenRepository extends TenantScopedRepository<RefreshTokenRecord> {
  constructor(kit: PersistenceKit) {
    super(refreshTokenTable, kit);
  }

  async issue(tenantId: string, sessionId: string, tokenHash: Buffer): Promise<void> {
    await this.insert({ tenantId, sessionId, tokenHash }, { auditAction: 'refresh_token.issue' });
  }

  /**
   * Marks the token spent if, and only if, it is unspent: of two concurrent refreshes exactly one gets the row
   * (the other waits on its lock, then finds it spent). Returns the session, or null when nothing was spent.
   */
  async spend(tenantId: string, tokenHash: Buffer): Promise<{ sessionId: string } | null> {
    const [spent] = await this.updateWhere({ tenantId, tokenHash, spentAt: null }, { spentAt: new Date() }, {
      returning: ['sessionId'],
      auditAction: 'refresh_token.spend',
    });
    return spent ?? null;
  }

  async find(tenantId: string, tokenHash: Buffer): Promise<Pick<RefreshTokenRecord, 'id' | 'sessionId' | 'spentAt'> | null> {
    const [token] = await this.findColumns({ tenantId, tokenHash }, ['sessionId', 'spentAt']);
    return token ?? null;
  }
}
