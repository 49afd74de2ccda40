import { createSecretKey } from 'node:crypto';
import { blindIndex, open, openBytes, sealBytes, SealOpenError } from '../crypto/field-cipher';
import { KeyPurpose, VersionedKey } from '../crypto/tenant-keys';
import { SealedDataIntegrityError } from '../errors';
import { DataKeys, openWithDataKey, RowCodec } from './row-codec';
import { TableDefinition } from './table-definition';
import { wordPrefixTokens } from './word-prefix-tokens';

interface PatientRecord {
  id: string;
  tenantId: string;
  name: string;
  note: string | null;
  summary: string | null;
  ward: string;
}

const patientTable: TableDefinition<PatientRecord> = {
  table: 'patient',
  resourceType: 'patient',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    name: { column: 'name_sealed', sealed: true, blindIndex: { column: 'name_index', normalize: (value) => value.trim().toLowerCase() } },
    note: { column: 'note_sealed', sealed: true, searchTokens: wordPrefixTokens({ store: { table: 'patient_note_token' }, minPrefix: 3, maxPrefix: 8 }) },
    summary: { column: 'summary_sealed', sealed: true, searchTokens: wordPrefixTokens({ store: { column: 'summary_tokens' }, minPrefix: 3, maxPrefix: 8 }) },
    ward: { column: 'ward' },
  },
};

const TENANT = '11111111-1111-4111-8111-111111111111';
const ROW = '22222222-2222-4222-8222-222222222222';
const OTHER_ROW = '33333333-3333-4333-8333-333333333333';

function keyOf(purpose: KeyPurpose, version: number): VersionedKey {
  return { version, key: createSecretKey(Buffer.alloc(32, `${purpose}:${version}`)) };
}

/** Version 1 is current; any other version does not exist, as TenantKeys reports it. */
const keys: DataKeys = {
  current: (_tenantId, purpose) => Promise.resolve(keyOf(purpose, 1)),
  version: (_tenantId, purpose, version) => version === 1 ? Promise.resolve(keyOf(purpose, 1)) : Promise.reject(new SealOpenError(`no key version ${version}`)),
};

const codec = new RowCodec(patientTable, keys);

function columnValue(stored: { columns: string[]; params: unknown[] }, column: string): unknown {
  const at = stored.columns.indexOf(column);
  if (at < 0) throw new Error(`no ${column} among ${stored.columns.join(', ')}`);
  return stored.params[at];
}

describe('RowCodec', () => {
  describe('toColumns', () => {
    it('seals PHI to its tenant, table, column and row, and passes plain values as they are', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { id: ROW, tenantId: TENANT, name: 'Zoë Adams', ward: 'B2' });
      expect(stored.columns).toEqual(['id', 'tenant_id', 'name_sealed', 'name_index', 'ward']);
      expect(columnValue(stored, 'ward')).toBe('B2');
      const envelope = columnValue(stored, 'name_sealed') as Buffer;
      expect(envelope.includes(Buffer.from('Zoë'))).toBe(false);
      expect(open(keyOf('data', 1).key, envelope, { tenantId: TENANT, table: 'patient', column: 'name_sealed', rowId: ROW })).toBe('Zoë Adams');
      expect(() => open(keyOf('data', 1).key, envelope, { tenantId: TENANT, table: 'patient', column: 'name_sealed', rowId: OTHER_ROW })).toThrow(SealOpenError);
    });

    it('stores the blind index of the normalised value under the index key', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { name: '  Zoë Adams ' });
      expect(columnValue(stored, 'name_index')).toEqual(blindIndex(keyOf('index', 1).key, 'zoë adams'));
    });

    it('puts search tokens in the row\'s own column, or aside for a side table', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { note: 'chest pain', summary: 'stable' });
      expect(stored.columns).toEqual(['note_sealed', 'summary_sealed', 'summary_tokens']);
      expect(columnValue(stored, 'summary_tokens')).toHaveLength(['sta', 'stab', 'stabl', 'stable'].length);
      expect(stored.searchTokens).toEqual([{ table: 'patient_note_token', tokens: expect.any(Array) as unknown }]);
      expect(stored.searchTokens[0].tokens).toHaveLength(['che', 'ches', 'chest', 'pai', 'pain'].length);
    });

    it('stores an absent sealed value as NULL, with no index and no tokens', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { note: null, summary: null });
      expect(stored).toEqual({
        columns: ['note_sealed', 'summary_sealed', 'summary_tokens'],
        params: [null, null, null],
        searchTokens: [{ table: 'patient_note_token', tokens: [] }],
      });
    });

    it('refuses an unknown property and a sealed value that is not a string', async () => {
      await expect(codec.toColumns(TENANT, ROW, { colour: 'red' } as Partial<PatientRecord>)).rejects.toThrow('unknown column for colour');
      await expect(codec.toColumns(TENANT, ROW, { name: 42 } as unknown as Partial<PatientRecord>)).rejects.toThrow('name is sealed and must be a string');
    });
  });

  describe('fromRow', () => {
    it('opens the named sealed columns and passes plain ones', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { name: 'Zoë Adams' });
      const row = { id: ROW, name_sealed: columnValue(stored, 'name_sealed'), ward: 'B2', note_sealed: null };
      await expect(codec.fromRow(TENANT, row, ['id', 'name', 'ward', 'note'])).resolves.toEqual({ id: ROW, name: 'Zoë Adams', ward: 'B2', note: null });
    });

    it('reports a value moved to another row, a value that is not an envelope and an unknown key version as integrity failures', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { name: 'Zoë Adams' });
      const envelope = columnValue(stored, 'name_sealed') as Buffer;
      const integrity = { table: 'patient', column: 'name_sealed', rowId: OTHER_ROW };
      for (const value of [envelope, 'Zoë Adams', withKeyVersion(envelope, 7)]) {
        const failure = codec.fromRow(TENANT, { id: OTHER_ROW, name_sealed: value }, ['name']);
        await expect(failure).rejects.toBeInstanceOf(SealedDataIntegrityError);
        await expect(failure).rejects.toMatchObject({ details: integrity });
      }
    });
  });

  describe('filterOf', () => {
    it('matches a sealed property by its blind index, and leaves the tenant to the statement', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { name: 'Zoë Adams' });
      await expect(codec.filterOf({ tenantId: TENANT, name: 'ZOË ADAMS', ward: ['B2', 'C1'], note: undefined })).resolves.toEqual([
        { column: 'name_index', value: columnValue(stored, 'name_index') },
        { column: 'ward', value: ['B2', 'C1'] },
      ]);
    });

    it('refuses a sealed property without a blind index, several values of a sealed property and an unknown property', async () => {
      await expect(codec.filterOf({ tenantId: TENANT, note: 'pain' })).rejects.toThrow('note is sealed and has no blind index to filter on');
      await expect(codec.filterOf({ tenantId: TENANT, name: ['a', 'b'] })).rejects.toThrow('name is sealed: filter on one value at a time');
      await expect(codec.filterOf({ tenantId: TENANT, colour: 'red' } as never)).rejects.toThrow('unknown filter colour');
    });
  });

  describe('searchTermsOf', () => {
    it('turns each query word into the token a stored value of that word carries', async () => {
      const stored = await codec.toColumns(TENANT, ROW, { summary: 'Stable overnight' });
      const terms = await codec.searchTermsOf(TENANT, { key: 'summary', query: 'overnight STAB' });
      expect(terms?.store).toEqual({ column: 'summary_tokens' });
      expect(terms?.tokens).toHaveLength(2);
      const rowTokens = (columnValue(stored, 'summary_tokens') as Buffer[]).map((token) => token.toString('hex'));
      expect(terms?.tokens.map((token) => token.toString('hex')).every((token) => rowTokens.includes(token))).toBe(true);
    });

    it('keeps a word apart per column: the same word in another column is another token', async () => {
      const note = await codec.searchTermsOf(TENANT, { key: 'note', query: 'stable' });
      const summary = await codec.searchTermsOf(TENANT, { key: 'summary', query: 'stable' });
      expect(note?.tokens[0].equals(summary?.tokens[0] ?? Buffer.alloc(0))).toBe(false);
    });

    it('answers null for a query without a usable word, and refuses a column without search tokens', async () => {
      await expect(codec.searchTermsOf(TENANT, { key: 'summary', query: ' ab, ' })).resolves.toBeNull();
      await expect(codec.searchTermsOf(TENANT, { key: 'name', query: 'Zoë' })).rejects.toThrow('name has no search tokens');
    });
  });

  it('withPlaintext takes PHI from what was written and plain columns from the row', () => {
    const row = { id: ROW, tenant_id: TENANT, name_sealed: Buffer.alloc(3), note_sealed: null, summary_sealed: null, ward: 'B2' };
    expect(codec.withPlaintext(row, { name: 'Zoë Adams' })).toEqual({ id: ROW, tenantId: TENANT, name: 'Zoë Adams', note: null, summary: null, ward: 'B2' });
  });
});

describe('openWithDataKey', () => {
  const location = { tenantId: TENANT, table: 'attachment', column: 'object', rowId: ROW };

  it('opens object bytes with the key version the envelope names', async () => {
    const envelope = sealBytes(keyOf('data', 1).key, 1, Buffer.from('%PDF'), location);
    await expect(openWithDataKey(keys, location, envelope, openBytes)).resolves.toEqual(Buffer.from('%PDF'));
  });

  it('reports an envelope of another attachment as an integrity failure of this one', async () => {
    const envelope = sealBytes(keyOf('data', 1).key, 1, Buffer.from('%PDF'), { ...location, rowId: OTHER_ROW });
    await expect(openWithDataKey(keys, location, envelope, openBytes)).rejects.toMatchObject({ details: { table: 'attachment', column: 'object', rowId: ROW } });
  });

  it('lets other failures through unchanged (a key provider that is down is not corrupt data)', async () => {
    const unavailable = new Error('key provider unavailable');
    const failing: DataKeys = { ...keys, version: () => Promise.reject(unavailable) };
    const envelope = sealBytes(keyOf('data', 1).key, 1, Buffer.from('%PDF'), location);
    await expect(openWithDataKey(failing, location, envelope, openBytes)).rejects.toBe(unavailable);
  });
});

/** The envelope claiming another key version (bytes 1..4 of the header). */
function withKeyVersion(envelope: Buffer, version: number): Buffer {
  const copy = Buffer.from(envelope);
  copy.writeUInt32BE(version, 1);
  return copy;
}
