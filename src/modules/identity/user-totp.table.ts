import { TableDefinition } from '../../platform/persistence/table-definition';

/** A user's TOTP authenticator; its id is the user's id. */
export interface UserTotpRecord {
  id: string;
  tenantId: string;
  /** Base32 shared secret, sealed. */
  secret: string;
  confirmedAt: Date | null;
  /** The last accepted time step: a code is accepted once. */
  lastUsedStep: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const userTotpTable: TableDefinition<UserTotpRecord> = {
  table: 'user_totp',
  resourceType: 'user_totp',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    secret: { column: 'secret_sealed', sealed: true },
    confirmedAt: { column: 'confirmed_at' },
    lastUsedStep: { column: 'last_used_step' },
    createdAt: { column: 'created_at' },
    updatedAt: { column: 'updated_at' },
  },
};
