import { TableDefinition } from '../../platform/persistence/table-definition';

export type TenantStatus = 'active' | 'suspended';

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** The tenant row is its own scope: its id is the tenant id. Nothing here is PHI. */
export const tenantTable: TableDefinition<TenantRecord> = {
  table: 'tenant',
  resourceType: 'tenant',
  tenantColumn: 'id',
  columns: {
    id: { column: 'id' },
    slug: { column: 'slug' },
    name: { column: 'name' },
    status: { column: 'status' },
    settings: { column: 'settings' },
    createdAt: { column: 'created_at' },
    updatedAt: { column: 'updated_at' },
  },
};
