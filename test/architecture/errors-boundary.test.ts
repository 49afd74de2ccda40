import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { readSources, ROOT, SourceFile, tsFilesUnder } from './module-graph';

const PLATFORM = join(ROOT, 'src', 'platform');
const HTTP = join(PLATFORM, 'http');
/** Parts of the platform below HTTP: keys, storage, audit and the rest know nothing of requests (ADR 0004). */
const BELOW_HTTP = ['crypto', 'storage', 'audit', 'cache', 'realtime', 'database', 'jobs', 'persistence', 'errors'];

/** Imports (static, dynamic, re-exports) of a file under src/platform/http; comments and strings do not count. */
function httpImports(sources: readonly SourceFile[]): { file: string; specifier: string }[] {
  return sources.flatMap((source) => ts.preProcessFile(source.text, true, true).importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => {
      const target = resolve(dirname(source.file), specifier);
      return target === HTTP || target.startsWith(HTTP + sep);
    })
    .map((specifier) => ({ file: relative(ROOT, source.file), specifier })));
}

/** A file that is not on disk, placed in the tree for the check to prove that it refuses it. */
function probe(path: string, text: string): SourceFile {
  return { file: join(ROOT, path), text };
}

describe('errors without HTTP', () => {
  const below = BELOW_HTTP.flatMap((part) => tsFilesUnder(join(PLATFORM, part)));

  it('finds the files below HTTP (the scan itself works)', () => {
    const scanned = below.map((file) => relative(ROOT, file));
    expect(scanned).toEqual(expect.arrayContaining([
      'src/platform/crypto/local-keyring.key-provider.ts',
      'src/platform/errors/app-error.ts',
      'src/platform/persistence/row-codec.ts',
      'src/platform/audit/audit.writer.ts',
    ]));
  });

  it('no file in crypto, storage, audit, cache, realtime, database, jobs, persistence or errors imports platform/http', () => {
    expect(httpImports(readSources(below))).toEqual([]);
  });

  it('the check refuses a probe below HTTP that imports platform/http, in every form', () => {
    const refused = httpImports([
      probe('src/platform/crypto/http-probe.ts', "import { toErrorResponse } from '../http/error-envelope';\n"),
      probe('src/platform/storage/nested/http-probe.ts', "export { HTTP_STATUS_BY_CODE } from '../../http/error-status';\n"),
      probe('src/platform/audit/http-probe.ts', "const filter = await import('../http/error.filter');\n"),
      probe('src/platform/errors/http-probe.ts', "import '../http';\n"),
    ]);
    expect(refused.map((reach) => reach.specifier)).toEqual(['../http/error-envelope', '../../http/error-status', '../http/error.filter', '../http']);
  });

  it('the check lets a probe import platform/errors, and names of other things that merely contain "http"', () => {
    expect(httpImports([
      probe('src/platform/crypto/errors-probe.ts', "import { KeyServiceUnavailableError } from '../errors';\n// see ../http/error-status.ts\n"),
      probe('src/platform/realtime/node-probe.ts', "import { request } from 'node:http';\nimport { Agent } from 'http';\nimport { x } from './http-client';\n"),
    ])).toEqual([]);
  });

  it('lint refuses an import of platform/http below HTTP, and allows it in platform/http itself', () => {
    // ESLint loads its config with import(), which jest's module system cannot run: lint in a child process.
    // The probes are not on disk, so the type-aware parser settings and rules are switched off for them.
    const lint = (filePath: string): string[] => {
      const script = `
        const { ESLint } = require('eslint');
        const eslint = new ESLint({ cwd: ${JSON.stringify(ROOT)}, overrideConfig: { languageOptions: { parserOptions: { projectService: false } },
          rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' } } });
        eslint.lintText("import { HTTP_STATUS_BY_CODE } from '../http/error-status';\\nexport const statuses = HTTP_STATUS_BY_CODE;\\n",
          { filePath: ${JSON.stringify(filePath)} })
          .then(([result]) => process.stdout.write(JSON.stringify(result.messages.map((m) => m.ruleId))));`;
      return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT }).toString()) as string[];
    };
    expect(lint(join(PLATFORM, 'crypto', 'lint-probe.ts'))).toEqual(['no-restricted-imports']);
    expect(lint(join(PLATFORM, 'errors', 'lint-probe.ts'))).toEqual(['no-restricted-imports']);
    expect(lint(join(PLATFORM, 'auth', 'lint-probe.ts'))).toEqual([]);
  });
});
