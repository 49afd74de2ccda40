import { PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { IdempotencyKeyRecord, idempotencyKeyTable } from './message.table';

/** How long a key is remembered per user. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyClaim {
  tenantId: string;
  userId: string;
  keyHash: Buffer;
  requestHash: Buffer;
  resourceId: string;
}

export type IdempotencyOutcome =
  | { kind: 'claimed' }
  | { kind: 'replay'; resourceId: string }
  | { kind: 'reused' };

export class IdempotencyKeyRepository extends TenantScopedRepository<IdempotencyKeyRecord> {
  constructor(kit: PersistenceKit) {
    super(idempotencyKeyTable, kit);
  }

  /**
   * Inside the send transaction. A concurrent request with the same key waits on the unique index until the first
   * commits (then replays it) or rolls back (then claims the key itself): two requests never both create.
   */
  async claim(claim: IdempotencyClaim, now: Date): Promise<IdempotencyOutcome> {
    return this.transaction(claim.tenantId, async () => {
      if (await this.insert({ ...claim, createdAt: now }, { ifAbsent: true })) return { kind: 'claimed' };
      const [existing] = await this.findColumns({ tenantId: claim.tenantId, userId: claim.userId, keyHash: claim.keyHash }, ['requestHash', 'resourceId', 'createdAt']);
      if (!existing) throw new Error('idempotency key conflict without a row');
      if (now.getTime() - existing.createdAt.getTime() >= IDEMPOTENCY_KEY_TTL_MS) {
        await this.delete({ tenantId: claim.tenantId, id: existing.id }, { auditAction: 'idempotency_key.expire' });
        await this.insert({ ...claim, createdAt: now });
        return { kind: 'claimed' };
      }
      return existing.requestHash.equals(claim.requestHash) ? { kind: 'replay', resourceId: existing.resourceId } : { kind: 'reused' };
    });
  }
}
