import { searchTokenStatements, SqlStatement, Statement, StatementBuilder } from './statement-builder';
import { TableDefinition } from './table-definition';

interface NoteRecord {
  id: string;
  tenantId: string;
  authorId: string;
  body: string | null;
  seq: number;
  archivedAt: Date | null;
  updatedAt: Date;
}

const noteTable: TableDefinition<NoteRecord> = {
  table: 'note',
  resourceType: 'note',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    authorId: { column: 'author_id' },
    body: { column: 'body_sealed', sealed: true },
    seq: { column: 'seq' },
    archivedAt: { column: 'archived_at' },
    updatedAt: { column: 'updated_at' },
  },
};

/** Who has read how far in each note: the table notes are joined with. */
interface ReaderRecord {
  id: string;
  tenantId: string;
  noteId: string;
  userId: string;
  readSeq: number;
  nickname: string;
}

const readerTable: TableDefinition<ReaderRecord> = {
  table: 'note_reader',
  resourceType: 'note_reader',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    noteId: { column: 'note_id' },
    userId: { column: 'user_id' },
    readSeq: { column: 'read_seq' },
    nickname: { column: 'nickname_sealed', sealed: true },
  },
};

const TENANT = '11111111-1111-4111-8111-111111111111';
const ROW = '22222222-2222-4222-8222-222222222222';
const ALL_COLUMNS = 'id, tenant_id, author_id, body_sealed, seq, archived_at, updated_at';

const notes = new StatementBuilder(noteTable);

/** The statement with its whitespace collapsed: what the database parses, without the source's indentation. */
function flat({ text, params }: SqlStatement): { text: string; params: unknown[] } {
  return { text: text.replace(/\s+/g, ' ').trim(), params };
}

describe('Statement', () => {
  it('numbers parameters in the order they are added, across parts', () => {
    const statement = new Statement();
    expect(statement.add('a')).toBe('$1');
    expect(statement.addAll(['b', 'c'])).toBe('$2, $3');
    expect(statement.with('SELECT $1, $2, $3')).toEqual({ text: 'SELECT $1, $2, $3', params: ['a', 'b', 'c'] });
  });
});

describe('StatementBuilder', () => {
  describe('select', () => {
    it('puts the tenant predicate first, then filters (null, any of, equal), ranges, order and limit', () => {
      expect(flat(notes.select(TENANT, {
        columns: ['id', 'seq'],
        filters: [{ column: 'archived_at', value: null }, { column: 'author_id', value: ['u1', 'u2'] }, { column: 'id', value: ROW }],
        range: { seq: { gt: 10, lte: 60, lt: undefined } },
        orderBy: { seq: 'desc', id: 'asc' },
        limit: 20.7,
      }))).toEqual({
        text: 'SELECT id, seq FROM note WHERE tenant_id = $1 AND archived_at IS NULL AND author_id = ANY($2) AND id = $3 AND seq > $4 AND seq <= $5 '
          + 'ORDER BY seq DESC, id ASC LIMIT 20',
        params: [TENANT, ['u1', 'u2'], ROW, 10, 60],
      });
    });

    it('locks for update, and never asks for a negative number of rows', () => {
      expect(flat(notes.select(TENANT, { columns: ['id'], filters: [], limit: -3, forUpdate: true })).text)
        .toBe('SELECT id FROM note WHERE tenant_id = $1 LIMIT 0 FOR UPDATE');
    });

    it('matches search tokens in the row\'s own column, or counts them in a side table', () => {
      const tokens = [Buffer.from('a'), Buffer.from('b')];
      expect(flat(notes.select(TENANT, { columns: ['id'], filters: [], matching: { store: { column: 'body_tokens' }, tokens } }))).toEqual({
        text: 'SELECT id FROM note WHERE tenant_id = $1 AND body_tokens @> $2::bytea[]',
        params: [TENANT, tokens],
      });
      expect(flat(notes.select(TENANT, { columns: ['id'], filters: [{ column: 'author_id', value: 'u1' }], matching: { store: { table: 'note_token' }, tokens } }))).toEqual({
        text: 'SELECT id FROM note WHERE tenant_id = $1 AND author_id = $2 AND id IN (SELECT row_id FROM note_token WHERE tenant_id = $1 AND token = ANY($3::bytea[]) '
          + 'GROUP BY row_id HAVING count(DISTINCT token) = $4)',
        params: [TENANT, 'u1', tokens, 2],
      });
    });

    it('refuses a range over a sealed column (its order is not stored)', () => {
      expect(() => notes.select(TENANT, { columns: ['id'], filters: [], range: { body: { gt: 'a' } } })).toThrow('body is sealed: its order is not stored');
    });
  });

  describe('insertParts', () => {
    const values = { columns: ['id', 'tenant_id', 'body_sealed'], params: [ROW, TENANT, Buffer.from('sealed')], searchTokens: [] };

    it('writes the row as `written`, returning every column', () => {
      const statement = new Statement();
      const parts = notes.insertParts(statement, TENANT, ROW, values);
      expect(flat(notes.writtenBy(statement, parts))).toEqual({
        text: `WITH written AS (INSERT INTO note (id, tenant_id, body_sealed) VALUES ($1, $2, $3) RETURNING ${ALL_COLUMNS}) SELECT * FROM written`,
        params: values.params,
      });
    });

    it('draws a counter of another row of the tenant in the same statement, guarded by a row that must exist', () => {
      const statement = new Statement();
      const parts = notes.insertParts(statement, TENANT, ROW, values, {
        counter: { table: 'notebook', id: 'nb1', column: 'last_seq', set: { touched_at: 'now' }, onlyIfExists: { table: 'notebook_member', where: { notebook_id: 'nb1', user_id: 'u1' } } },
        into: 'seq',
      });
      expect(parts.map((part) => flat({ text: part, params: [] }).text)).toEqual([
        'drawn AS (UPDATE notebook SET last_seq = last_seq + 1, touched_at = $4 WHERE tenant_id = $8 AND id = $9 '
          + 'AND EXISTS (SELECT 1 FROM notebook_member WHERE tenant_id = $5 AND notebook_id = $6 AND user_id = $7) RETURNING last_seq AS value)',
        `written AS (INSERT INTO note (id, tenant_id, body_sealed, seq) SELECT $1, $2, $3, drawn.value FROM drawn RETURNING ${ALL_COLUMNS})`,
      ]);
      expect(statement.params).toEqual([...values.params, 'now', TENANT, 'nb1', 'u1', TENANT, 'nb1']);
    });

    it('adds side-table search tokens that there are, reading the written row', () => {
      const statement = new Statement();
      const tokens = [Buffer.from('t')];
      const parts = notes.insertParts(statement, TENANT, ROW, { ...values, searchTokens: [{ table: 'empty_token', tokens: [] }, { table: 'note_token', tokens }] });
      expect(flat({ text: parts[1], params: [] }).text)
        .toBe('tokens_1 AS (INSERT INTO note_token (tenant_id, row_id, token) SELECT $4::uuid, $5::uuid, unnest($6::bytea[]) FROM written ON CONFLICT DO NOTHING)');
      expect(parts).toHaveLength(2);
      expect(statement.params.slice(3)).toEqual([TENANT, ROW, tokens]);
    });
  });

  it('insertIfAbsent returns no row instead of failing on a taken unique key', () => {
    expect(flat(notes.insertIfAbsent({ columns: ['id', 'tenant_id'], params: [ROW, TENANT], searchTokens: [] }))).toEqual({
      text: `INSERT INTO note (id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING ${ALL_COLUMNS}`,
      params: [ROW, TENANT],
    });
  });

  describe('updates', () => {
    it('updateRow addresses one row of the tenant and stamps updated_at when the table has it', () => {
      expect(flat(notes.updateRow(TENANT, ROW, { columns: ['author_id', 'seq'], params: ['u2', 3], searchTokens: [] }))).toEqual({
        text: `UPDATE note SET author_id = $3, seq = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${ALL_COLUMNS}`,
        params: [TENANT, ROW, 'u2', 3],
      });
    });

    it('updateWhere numbers the filter first, then the new values, and returns the named columns', () => {
      expect(flat(notes.updateWhere(TENANT, [{ column: 'author_id', value: 'u1' }], { seq: { lt: 5 } }, { columns: ['seq'], params: [5], searchTokens: [] }, ['id', 'seq']))).toEqual({
        text: 'UPDATE note SET seq = $4, updated_at = now() WHERE tenant_id = $1 AND author_id = $2 AND seq < $3 RETURNING id, seq',
        params: [TENANT, 'u1', 5, 5],
      });
    });

    it('refuses an empty patch', () => {
      expect(() => notes.updateRow(TENANT, ROW, { columns: [], params: [], searchTokens: [] })).toThrow('update with an empty patch');
    });
  });

  it('deletes one row of the tenant, or every matching row returning their ids', () => {
    expect(flat(notes.deleteRow(TENANT, ROW))).toEqual({ text: 'DELETE FROM note WHERE tenant_id = $1 AND id = $2', params: [TENANT, ROW] });
    expect(flat(notes.deleteWhere(TENANT, [{ column: 'author_id', value: 'u1' }]))).toEqual({
      text: 'DELETE FROM note WHERE tenant_id = $1 AND author_id = $2 RETURNING id',
      params: [TENANT, 'u1'],
    });
  });
});

describe('searchTokenStatements', () => {
  const tokens = [Buffer.from('t')];

  it('replaces a row\'s side-table tokens: the old ones go, the new ones (if any) come', () => {
    expect(searchTokenStatements(TENANT, ROW, [{ table: 'note_token', tokens }, { table: 'title_token', tokens: [] }], true).map(flat)).toEqual([
      { text: 'DELETE FROM note_token WHERE tenant_id = $1 AND row_id = $2', params: [TENANT, ROW] },
      { text: 'INSERT INTO note_token (tenant_id, row_id, token) SELECT $1, $2, unnest($3::bytea[]) ON CONFLICT DO NOTHING', params: [TENANT, ROW, tokens] },
      { text: 'DELETE FROM title_token WHERE tenant_id = $1 AND row_id = $2', params: [TENANT, ROW] },
    ]);
  });

  it('only adds for a new row', () => {
    expect(searchTokenStatements(TENANT, ROW, [{ table: 'note_token', tokens }, { table: 'title_token', tokens: [] }], false)).toHaveLength(1);
  });
});

describe('joinedSelect', () => {
  const join = { table: readerTable, on: { id: 'noteId' }, where: { userId: 'u1' } } as const;

  it('joins and filters the tenant columns of both tables, and names each column by its property', () => {
    expect(flat(notes.joinedSelect(TENANT, [{ column: 'archived_at', value: null }], {
      join, select: ['id', 'seq'], selectJoined: ['readSeq'], orderBy: { seq: 'desc' }, limit: 10,
    }))).toEqual({
      text: 'SELECT note.id AS "id", note.seq AS "seq", note_reader.read_seq AS "readSeq" '
        + 'FROM note JOIN note_reader ON note_reader.tenant_id = note.tenant_id AND note.id = note_reader.note_id '
        + 'WHERE note.tenant_id = $1 AND note.archived_at IS NULL AND note_reader.tenant_id = $1 AND note_reader.user_id = $2 '
        + 'ORDER BY note.seq DESC LIMIT 10',
      params: [TENANT, 'u1'],
    });
  });

  it('pages by keyset: one row-value comparison along the order, in its direction', () => {
    const after = { seq: 7, id: ROW };
    const page = (direction: 'asc' | 'desc'): string => flat(notes.joinedSelect(TENANT, [], {
      join, select: ['id'], selectJoined: [], orderBy: { seq: direction, id: direction }, after,
    })).text;
    expect(page('desc')).toContain('AND (note.seq, note.id) < ($3, $4) ORDER BY note.seq DESC, note.id DESC');
    expect(page('asc')).toContain('AND (note.seq, note.id) > ($3, $4) ORDER BY note.seq ASC, note.id ASC');
  });

  it('refuses a keyset that is not the order, or an order in two directions', () => {
    const read = { join, select: ['id'] as const, selectJoined: [] };
    expect(() => notes.joinedSelect(TENANT, [], { ...read, orderBy: { seq: 'desc' }, after: { seq: 7, id: ROW } })).toThrow('after names the same properties as orderBy');
    expect(() => notes.joinedSelect(TENANT, [], { ...read, after: { seq: 7 } })).toThrow('after names the same properties as orderBy');
    expect(() => notes.joinedSelect(TENANT, [], { ...read, orderBy: { seq: 'desc', id: 'asc' }, after: { seq: 7, id: ROW } }))
      .toThrow('keyset pagination orders every property in one direction');
  });

  it('refuses a property that does not exist, at compile time and at run time', () => {
    const misnamed = (): SqlStatement => notes.joinedSelect(TENANT, [], {
      // @ts-expect-error: note_reader has no noteIdx
      join: { table: readerTable, on: { id: 'noteIdx' } },
      select: ['id'],
      selectJoined: [],
    });
    expect(misnamed).toThrow('unknown property noteIdx of note_reader');
  });

  it('refuses sealed columns on either side, a name selected from both tables and a table joined to itself', () => {
    expect(() => notes.joinedSelect(TENANT, [], { join, select: ['body'], selectJoined: [] })).toThrow('body is sealed: joins and aggregates read plain columns only');
    expect(() => notes.joinedSelect(TENANT, [], { join, select: ['id'], selectJoined: ['nickname'] })).toThrow('nickname is sealed');
    expect(() => notes.joinedSelect(TENANT, [], { join: { ...join, where: { nickname: 'Zoë' } }, select: ['id'], selectJoined: [] })).toThrow('nickname is sealed');
    expect(() => notes.joinedSelect(TENANT, [], { join, select: ['id'], selectJoined: ['id'] })).toThrow('id is selected from both tables');
    expect(() => notes.joinedSelect(TENANT, [], { join: { table: noteTable, on: { id: 'id' } }, select: ['id'], selectJoined: [] })).toThrow('note cannot be joined to itself');
    expect(() => notes.joinedSelect(TENANT, [], { join: { table: readerTable, on: {} }, select: ['id'], selectJoined: [] })).toThrow('a join of note_reader names the columns it matches on');
  });
});

describe('aggregate', () => {
  it('groups this table\'s rows with counts and "any row has" flags, ordered by keys or earliest values', () => {
    expect(flat(notes.aggregate(TENANT, [{ column: 'id', value: ['n1', 'n2'] }], {
      groupBy: ['authorId'],
      measures: { notes: { count: '*' }, mine: { some: 'authorId', equals: 'u1' } },
      orderBy: [{ earliest: 'seq' }, 'authorId'],
    }))).toEqual({
      text: 'SELECT note.author_id AS "authorId", count(*)::int AS "notes", bool_or(note.author_id = $3) AS "mine" FROM note '
        + 'WHERE note.tenant_id = $1 AND note.id = ANY($2) GROUP BY note.author_id ORDER BY min(note.seq), note.author_id',
      params: [TENANT, ['n1', 'n2'], 'u1'],
    });
  });

  it('counts over a join whose columns compare as well as match', () => {
    expect(flat(notes.aggregate(TENANT, [], {
      join: { table: readerTable, on: { id: 'noteId', seq: { gt: 'readSeq' }, authorId: { ne: 'userId' } }, where: { userId: 'u1' } },
      groupBy: ['id'],
      measures: { unread: { count: '*' } },
    }))).toEqual({
      text: 'SELECT note.id AS "id", count(*)::int AS "unread" FROM note JOIN note_reader ON note_reader.tenant_id = note.tenant_id '
        + 'AND note.id = note_reader.note_id AND note.seq > note_reader.read_seq AND note.author_id <> note_reader.user_id '
        + 'WHERE note.tenant_id = $1 AND note_reader.tenant_id = $1 AND note_reader.user_id = $2 GROUP BY note.id',
      params: [TENANT, 'u1'],
    });
  });

  it('counts every row of the filter when nothing groups them', () => {
    expect(flat(notes.aggregate(TENANT, [{ column: 'author_id', value: 'u1' }], { groupBy: [], measures: { notes: { count: '*' } } }))).toEqual({
      text: 'SELECT count(*)::int AS "notes" FROM note WHERE note.tenant_id = $1 AND note.author_id = $2',
      params: [TENANT, 'u1'],
    });
  });

  it('keeps rows matching any alternative: bounds that differ per group; no alternative matches nothing', () => {
    expect(flat(notes.aggregate(TENANT, [], {
      anyOf: [{ equals: { id: 'n1' }, differs: { authorId: 'u1' }, range: { seq: { gt: 3 } } }, { equals: { id: 'n2' }, range: { seq: { gt: 0, lte: 9 } } }],
      groupBy: ['id'],
      measures: { newer: { count: '*' } },
    }))).toEqual({
      text: 'SELECT note.id AS "id", count(*)::int AS "newer" FROM note WHERE note.tenant_id = $1 AND '
        + '((note.id = $2 AND note.author_id <> $3 AND note.seq > $4) OR (note.id = $5 AND note.seq > $6 AND note.seq <= $7)) GROUP BY note.id',
      params: [TENANT, 'n1', 'u1', 3, 'n2', 0, 9],
    });
    expect(flat(notes.aggregate(TENANT, [], { anyOf: [], groupBy: [], measures: { n: { count: '*' } } })).text)
      .toBe('SELECT count(*)::int AS "n" FROM note WHERE note.tenant_id = $1 AND false');
    expect(() => notes.aggregate(TENANT, [], { anyOf: [{ equals: { body: 'x' } }], groupBy: [], measures: { n: { count: '*' } } })).toThrow('body is sealed');
    expect(() => notes.aggregate(TENANT, [], { anyOf: [{}], groupBy: [], measures: { n: { count: '*' } } })).toThrow('names at least one condition');
  });

  it('refuses a sealed column, a measure named like a group key and a measure name that is not an identifier', () => {
    expect(() => notes.aggregate(TENANT, [], { groupBy: ['body'], measures: { n: { count: '*' } } })).toThrow('body is sealed');
    expect(() => notes.aggregate(TENANT, [], { groupBy: ['id'], measures: { n: { some: 'body', equals: 'x' } } })).toThrow('body is sealed');
    expect(() => notes.aggregate(TENANT, [], { groupBy: ['authorId'], measures: { authorId: { count: '*' } } })).toThrow('authorId is both a group key and a measure');
    expect(() => notes.aggregate(TENANT, [], { groupBy: [], measures: { 'n" FROM tenant --': { count: '*' } } })).toThrow('is not an identifier');
  });
});
