import { PLATFORM_TENANT_ID } from '../audit/audit-event';
import { PersistenceKit, TenantScopedRepository } from '../persistence/tenant-scoped.repository';
import { SigningKeyRecord, signingKeyTable } from './signing-key.table';

export type PublicSigningKey = Omit<SigningKeyRecord, 'privateKey' | 'tenantId'>;

export class SigningKeyRepository extends TenantScopedRepository<SigningKeyRecord> {
  constructor(kit: PersistenceKit) {
    super(signingKeyTable, kit);
  }

  /** Public halves only: listing keys opens no secret and is not a read of sealed data. */
  listPublic(): Promise<PublicSigningKey[]> {
    return this.findColumns({ tenantId: PLATFORM_TENANT_ID }, ['generation', 'algorithm', 'publicJwk', 'createdAt', 'retiredAt'], {
      orderBy: { generation: 'desc' },
    });
  }

  /** Opens a private key: audited as a read of the signing key. */
  async privateKeyOf(id: string): Promise<string | null> {
    const record = await this.findOne({ tenantId: PLATFORM_TENANT_ID, id });
    return record?.privateKey ?? null;
  }

  /** Adds the next generation and retires the ones before it, in one transaction. */
  add(key: Omit<SigningKeyRecord, 'tenantId' | 'createdAt' | 'retiredAt'>): Promise<SigningKeyRecord> {
    return this.transaction(PLATFORM_TENANT_ID, async () => {
      const added = await this.insert({ ...key, tenantId: PLATFORM_TENANT_ID }, { auditAction: 'signing_key.create' });
      await this.updateWhere({ tenantId: PLATFORM_TENANT_ID, retiredAt: null }, { retiredAt: added.createdAt }, {
        range: { generation: { lt: key.generation } },
        auditAction: 'signing_key.retire',
      });
      return added;
    });
  }
}
