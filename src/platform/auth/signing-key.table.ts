import type { JWK } from 'jose';
import { TableDefinition } from '../persistence/table-definition';

export interface SigningKeyRecord {
  /** Also the JWT header `kid`. */
  id: string;
  /** Always the platform tenant: signing keys belong to the service, not to a customer. */
  tenantId: string;
  /** Newest generation signs; older ones only verify until their tokens have expired. */
  generation: number;
  algorithm: 'ES256';
  publicJwk: JWK;
  /** PKCS#8 PEM, sealed under the platform's data key. */
  privateKey: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export const signingKeyTable: TableDefinition<SigningKeyRecord> = {
  table: 'signing_key',
  resourceType: 'signing_key',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    generation: { column: 'generation' },
    algorithm: { column: 'algorithm' },
    publicJwk: { column: 'public_jwk' },
    privateKey: { column: 'private_key_sealed', sealed: true },
    createdAt: { column: 'created_at' },
    retiredAt: { column: 'retired_at' },
  },
};
