import { runInContext } from '../context/request-context';
import { TenantScopeViolationError } from '../errors';
import { TableDefinition } from './table-definition';
import { PersistenceKit, TenantScopedRepository } from './tenant-scoped.repository';
import { RecordingKit } from './testing/recording-kit';

interface WardRecord {
  id: string;
  tenantId: string;
  name: string;
  floor: number;
}

interface BedRecord {
  id: string;
  tenantId: string;
  wardId: string;
  occupant: string | null;
  occupied: boolean;
}

const wardTable: TableDefinition<WardRecord> = {
  table: 'ward',
  resourceType: 'ward',
  tenantColumn: 'tenant_id',
  columns: { id: { column: 'id' }, tenantId: { column: 'tenant_id' }, name: { column: 'name_sealed', sealed: true }, floor: { column: 'floor' } },
};

const bedTable: TableDefinition<BedRecord> = {
  table: 'bed',
  resourceType: 'bed',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' }, tenantId: { column: 'tenant_id' }, wardId: { column: 'ward_id' }, occupant: { column: 'occupant_sealed', sealed: true }, occupied: { column: 'occupied' },
  },
};

const TENANT = '11111111-1111-4111-8111-111111111111';
const OTHER_TENANT = '99999999-9999-4999-8999-999999999999';

class WardRepository extends TenantScopedRepository<WardRecord> {
  constructor(kit: PersistenceKit) {
    super(wardTable, kit);
  }

  withFreeBeds(tenantId: string): Promise<Pick<WardRecord, 'id' | 'floor'>[]> {
    return this.findJoined({ tenantId }, { join: { table: bedTable, on: { id: 'wardId' }, where: { occupied: false } }, select: ['id', 'floor'], selectJoined: [] });
  }

  perFloor(tenantId: string): Promise<{ floor: number; wards: number }[]> {
    return this.aggregate({ tenantId }, { groupBy: ['floor'], measures: { wards: { count: '*' } } });
  }

  named(tenantId: string): Promise<WardRecord[]> {
    return this.findMany({ tenantId });
  }
}

describe('TenantScopedRepository joins and aggregates', () => {
  it('run in the tenant\'s transaction and answer with the rows as the database names them', async () => {
    const recording = new RecordingKit(({ sql }) => sql.includes('count(*)') ? [{ floor: 2, wards: 3 }] : [{ id: 'w1', floor: 2 }]);
    const wards = new WardRepository(recording.kit);
    await expect(wards.withFreeBeds(TENANT)).resolves.toEqual([{ id: 'w1', floor: 2 }]);
    await expect(wards.perFloor(TENANT)).resolves.toEqual([{ floor: 2, wards: 3 }]);
    expect(recording.statements.map((statement) => statement.params[0])).toEqual([TENANT, TENANT]);
  });

  it('read no PHI, so they are not audited as reads, unlike a read of sealed columns', async () => {
    const recording = new RecordingKit(() => []);
    const wards = new WardRepository(recording.kit);
    await wards.withFreeBeds(TENANT);
    await wards.perFloor(TENANT);
    expect(recording.audited).toEqual([]);
    await wards.named(TENANT);
    expect(recording.audited).toEqual([expect.objectContaining({ action: 'ward.read', tenantId: TENANT })]);
  });

  it('refuse another tenant inside a request bound to one, before any statement', async () => {
    const recording = new RecordingKit();
    const wards = new WardRepository(recording.kit);
    await runInContext({ requestId: 'r1', actor: { type: 'user', id: 'u1' }, tenantId: TENANT }, async () => {
      await expect(wards.withFreeBeds(OTHER_TENANT)).rejects.toBeInstanceOf(TenantScopeViolationError);
      await expect(wards.perFloor(OTHER_TENANT)).rejects.toBeInstanceOf(TenantScopeViolationError);
    });
    expect(recording.statements).toEqual([]);
  });
});
