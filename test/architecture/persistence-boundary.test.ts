import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TenantScopedRepository } from '../../src/platform/persistence/tenant-scoped.repository';

const ROOT = join(__dirname, '..', '..');
const MODULES = join(ROOT, 'src', 'modules');

/** A call of a connection's query method: SQL written by hand, with its own tenant predicate (or none). */
function sendsSql(source: string): boolean {
  return /\.query\s*(<[^>]*>)?\s*\(/.test(source);
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the persistence boundary', () => {
  const repositories = filesUnder(MODULES, '.repository.ts');

  it('finds the repositories (the scan itself works)', () => {
    expect(repositories.map((file) => relative(ROOT, file)).sort()).toEqual(expect.arrayContaining([
      'src/modules/identity/user.repository.ts',
      'src/modules/tenants/tenant.repository.ts',
    ]));
  });

  it.each(filesUnder(MODULES, '.repository.ts').map((file) => [relative(ROOT, file), file]))(
    '%s exports only repositories that extend TenantScopedRepository',
    async (_, file) => {
      const exported = Object.values(await import(file) as Record<string, unknown>).filter((value) => typeof value === 'function');
      expect(exported.length).toBeGreaterThan(0);
      for (const candidate of exported) expect((candidate as { prototype: unknown }).prototype).toBeInstanceOf(TenantScopedRepository);
    },
  );

  it('no file under src/modules imports typeorm or pg', () => {
    const offenders = filesUnder(MODULES, '.ts').filter((file) =>
      /from ['"](typeorm|pg)(\/[^'"]*)?['"]|require\(['"](typeorm|pg)['"]\)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('no file under src/modules sends SQL of its own (reads across tables go through findJoined and aggregate)', () => {
    expect(filesUnder(MODULES, '.ts').filter((file) => sendsSql(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('the SQL check catches a probe that queries through the transaction', () => {
    expect(sendsSql("await this.kit.transactions.run(tenantId, (tx) => tx.query<{ n: number }>('SELECT count(*) FROM message'));")).toBe(true);
    expect(sendsSql('const { rows } = await tx.query(sql, params);')).toBe(true);
    expect(sendsSql('return this.attachments.content(id, request.query);')).toBe(false);
  });

  it('lint refuses a typeorm or pg import inside src/modules', () => {
    // ESLint loads its config with import(), which jest's module system cannot run: lint in a child process.
    // The probe is not on disk, so the type-aware parser settings and rules are switched off for it.
    const probe = `
      const { ESLint } = require('eslint');
      const eslint = new ESLint({ cwd: ${JSON.stringify(ROOT)}, overrideConfig: { languageOptions: { parserOptions: { projectService: false } },
        rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' } } });
      eslint.lintText("import { DataSource } from 'typeorm';\\nimport { Pool } from 'pg';\\nexport const leak: [DataSource?, Pool?] = [];\\n",
        { filePath: ${JSON.stringify(join(MODULES, 'identity', 'lint-probe.ts'))} })
        .then(([result]) => process.stdout.write(JSON.stringify(result.messages.map((m) => m.ruleId))));`;
    const ruleIds = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT }).toString()) as string[];
    expect(ruleIds.filter((id) => id === 'no-restricted-imports')).toHaveLength(2);
  });
});
