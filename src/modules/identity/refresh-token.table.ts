import { TableDefinition } from '../../platform/persistence/table-definition';

/** A refresh token is kept only as its SHA-256; a spent one stays so that its reuse is recognised. */
export interface RefreshTokenRecord {
  id: string;
  tenantId: string;
  sessionId: string;
  tokenHash: Buffer;
  createdAt: Date;
  spentAt: Date | null;
}

export const refreshTokenTable: TableDefinition<RefreshTokenRecord> = {
  table: 'refresh_token',
  resourceType: 'refresh_token',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    sessionId: { column: 'session_id' },
    tokenHash: { column: 'token_hash' },
    createdAt: { column: 'created_at' },
    spentAt: { column: 'spent_at' },
  },
};
