import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { createRootLogger, type SealedColumnSource } from './platform/observability/logger';
import { SEALED_LOG_KEYS, SEALED_TABLES } from './sealed-tables';

const SRC = __dirname;
const SEALED_COLUMN = /\bsealed:\s*true\b/;

interface FoundTable {
  file: string;
  name: string;
  definition: SealedColumnSource;
}

function isSealedTableDefinition(value: unknown): value is SealedColumnSource {
  if (typeof value !== 'object' || value === null) return false;
  const { table, columns } = value as { table?: unknown; columns?: unknown };
  return typeof table === 'string' && typeof columns === 'object' && columns !== null &&
    Object.values(columns).some((spec: unknown) => typeof spec === 'object' && spec !== null && (spec as { sealed?: unknown }).sealed === true);
}

/** Every exported table definition with a sealed column, in any source file that writes `sealed: true`. */
async function sealedTablesInSource(): Promise<FoundTable[]> {
  const files = readdirSync(SRC, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => SEALED_COLUMN.test(readFileSync(file, 'utf8')));
  const modules = await Promise.all(files.map(async (file) => ({ file, exports: await import(file) as Record<string, unknown> })));
  return modules.flatMap(({ file, exports }) =>
    Object.entries(exports)
      .filter((entry): entry is [string, SealedColumnSource] => isSealedTableDefinition(entry[1]))
      .map(([name, definition]) => ({ file: relative(SRC, file), name, definition })),
  );
}

function loggedText(logged: Record<string, unknown>): string {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  createRootLogger({ level: 'info', sealedKeys: SEALED_LOG_KEYS }, stream).info(logged, 'probe');
  return chunks.join('');
}

describe('the sealed-table registry', () => {
  let found: FoundTable[] = [];

  beforeAll(async () => {
    found = await sealedTablesInSource();
  });

  it('finds the sealed tables in the source (the scan itself works)', () => {
    expect(found.map(({ file, name }) => `${file}#${name}`)).toEqual(expect.arrayContaining([
      'modules/identity/user.table.ts#userTable',
      'modules/identity/user-totp.table.ts#userTotpTable',
      'platform/auth/signing-key.table.ts#signingKeyTable',
    ]));
  });

  it('lists every table definition that has a sealed column', () => {
    const missing = found.filter(({ definition }) => !SEALED_TABLES.includes(definition)).map(({ file, name }) => `${file}#${name}`);

    expect(missing).toEqual([]);
  });
});

describe.each(SEALED_TABLES.flatMap((table) =>
  Object.entries(table.columns).filter(([, spec]) => spec.sealed === true).map(([property, spec]) => [`${table.table}.${spec.column}`, property, spec.column]),
))('the sealed column %s', (_name, property, column) => {
  it.each([
    ['its property, at the top', { [property]: 'PHI-CANARY' }],
    ['its property, nested and in an array', { row: { items: [{ [property]: 'PHI-CANARY' }] } }],
    ['its column', { row: { [column]: 'PHI-CANARY' } }],
    ['its property in snake case', { [property.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)]: 'PHI-CANARY' }],
  ])('never reaches a log line under %s', (_where, logged) => {
    const text = loggedText(logged);

    expect(text).toContain('"msg":"probe"');
    expect(text).not.toContain('PHI-CANARY');
  });
});
