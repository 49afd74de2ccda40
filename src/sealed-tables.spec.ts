import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { createRootLogger, type SealedColumnSource } from './platform/observability/logger';
import { SEALED_LOG_KEYS } from './sealed-tables';

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
function sealedTablesInSource(): FoundTable[] {
  const files = readdirSync(SRC, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => SEALED_COLUMN.test(readFileSync(file, 'utf8')));
  // Synchronous, so that the per-column cases below can be listed when the spec is collected.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const modules = files.map((file) => ({ file, exports: require(file) as Record<string, unknown> }));
  return modules.flatMap(({ file, exports }) =>
    Object.entries(exports)
      .filter((entry): entry is [string, SealedColumnSource] => isSealedTableDefinition(entry[1]))
      .map(([name, definition]) => ({ file: relative(SRC, file), name, definition })),
  );
}

function sealedColumns(table: SealedColumnSource): [property: string, column: string][] {
  return Object.entries(table.columns).filter(([, spec]) => spec.sealed === true).map(([property, spec]) => [property, spec.column]);
}

const FOUND = sealedTablesInSource();

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
  it('finds the sealed tables in the source (the scan itself works)', () => {
    expect(FOUND.map(({ file, name }) => `${file}#${name}`)).toEqual(expect.arrayContaining([
      'modules/identity/user.table.ts#userTable',
      'modules/identity/user-totp.table.ts#userTotpTable',
      'platform/auth/signing-key.table.ts#signingKeyTable',
    ]));
  });

  it('covers every sealed column of every table definition, under its property and its column name', () => {
    const missing = FOUND.flatMap(({ file, name, definition }) => sealedColumns(definition)
      .flatMap((names) => names.filter((key) => !SEALED_LOG_KEYS.includes(key)).map((key) => `${file}#${name}: ${key}`)));

    expect(missing).toEqual([]);
  });
});

describe.each(FOUND.flatMap(({ definition }) =>
  sealedColumns(definition).map(([property, column]) => [`${definition.table}.${column}`, property, column]),
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
