import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import eslint from '@eslint/js';
import ts from 'typescript';
import tseslint from 'typescript-eslint';

const MODULES_DIR = join(import.meta.dirname, 'src', 'modules');

/** The module (folder under src/modules) a path lies in, or null outside them. */
function moduleOf(path) {
  const rel = relative(MODULES_DIR, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  const [name, ...rest] = rel.split(sep);
  return rest.length > 0 || !name.endsWith('.ts') ? name : null;
}

/** The other modules a file's relative imports reach. */
function modulesImportedBy(file, specifiers) {
  const self = moduleOf(file);
  return new Set(specifiers.filter((spec) => spec.startsWith('.')).map((spec) => moduleOf(resolve(dirname(file), spec)))
    .filter((target) => target !== null && target !== self));
}

// Read once per ESLint process: a lint run sees the tree as it was when it started.
let filesOnDisk;
function moduleImportsOnDisk() {
  filesOnDisk ??= readdirSync(MODULES_DIR, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((file) => ({ file, imports: modulesImportedBy(file, ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName)) }));
  return filesOnDisk;
}

/** A path of module imports from `from` to `to` over every file but `except`, or null. */
function modulePath(from, to, except) {
  const edges = new Map();
  for (const { file, imports } of moduleImportsOnDisk()) {
    if (file === except) continue;
    const source = moduleOf(file);
    for (const target of imports) edges.set(source, (edges.get(source) ?? new Set()).add(target));
  }
  const previous = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === to) {
      const path = [];
      for (let step = to; step !== null; step = previous.get(step)) path.unshift(step);
      return path;
    }
    for (const next of edges.get(current) ?? []) {
      if (!previous.has(next)) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return null;
}

/** Refuses an import of another module that (through any chain of modules) imports this one back. */
const noModuleCycle = {
  meta: { type: 'problem', schema: [], messages: { cycle: 'Import cycle between modules: {{cycle}}. Invert the dependency (a port the other module provides) instead.' } },
  create(context) {
    const file = context.filename;
    const self = moduleOf(file);
    if (self === null) return {};
    const check = (node) => {
      if (typeof node.source?.value !== 'string') return;
      for (const target of modulesImportedBy(file, [node.source.value])) {
        const back = modulePath(target, self, file);
        if (back) context.report({ node: node.source, messageId: 'cycle', data: { cycle: [self, ...back].join(' → ') } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

/** Platform parts below HTTP: keys, storage, audit and the rest know nothing of requests (ADR 0004, errors without HTTP). */
const BELOW_HTTP = ['crypto', 'storage', 'audit', 'cache', 'realtime', 'database', 'jobs', 'persistence', 'errors'];
const httpFromBelow = {
  regex: '^\\.\\.?/(.*/)?http(/|$)',
  message: 'This part of the platform is below HTTP: throw an AppError from platform/errors; only platform/http maps codes to statuses.',
};

const databaseOutsidePersistence = 'Modules reach the database only through platform/persistence (TenantScopedRepository).';
/** Another module's files other than its index.ts (its repositories, tables, services behind the public surface). */
const moduleInternals = {
  regex: '(^|/)modules/[^/]+/.',
  message: 'Import a module through its public entry (src/modules/<name>/index.ts), never a file behind it.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'jest.config.js', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/modules/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals] }] },
  },
  {
    files: BELOW_HTTP.map((part) => `src/platform/${part}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, httpFromBelow] }] },
  },
  {
    files: ['src/modules/**/*.ts'],
    plugins: { 'module-boundaries': { rules: { 'no-module-cycle': noModuleCycle } } },
    rules: {
      'module-boundaries/no-module-cycle': 'error',
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'typeorm', message: databaseOutsidePersistence },
          { name: 'pg', message: databaseOutsidePersistence },
        ],
        patterns: [
          { group: ['typeorm/*', 'pg/*'], message: 'Modules reach the database only through platform/persistence.' },
          { regex: '^\\.\\./[^./][^/]*/.', message: moduleInternals.message },
          moduleInternals,
        ],
      }],
    },
  },
);
