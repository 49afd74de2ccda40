import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { forwardRef, Module, Type } from '@nestjs/common';
import { PRODUCT_MODULES } from '../../src/app.module';
import * as userRepositoryFile from '../../src/modules/identity/user.repository';
import * as userTableFile from '../../src/modules/identity/user.table';
import { TenantScopedRepository } from '../../src/platform/persistence/tenant-scoped.repository';
import {
  findCycle, Graph, moduleImportGraph, moduleNames, MODULES, nestModuleGraph, reachesBehindPublicEntry, readSources, ROOT, SourceFile,
  tsFilesUnder,
} from './module-graph';

const sources = readSources(tsFilesUnder(join(ROOT, 'src')));

/** A file that is not on disk, placed in the tree for a check to prove that it refuses it. */
function probe(path: string, text: string): SourceFile {
  return { file: join(ROOT, path), text };
}

/** Repositories and table definitions are a module's own: what a public entry exports must be neither. */
function repositoriesAndTables(exports: Record<string, unknown>): string[] {
  return Object.entries(exports).filter(([, value]) =>
    (typeof value === 'function' && value.prototype instanceof TenantScopedRepository)
    || (typeof value === 'object' && value !== null && 'table' in value && 'columns' in value)).map(([name]) => name);
}

async function publicEntry(module: string): Promise<Record<string, unknown>> {
  return await import(join(MODULES, module, 'index.ts')) as Record<string, unknown>;
}

/** Each Nest module class, by the folder whose public entry exports it. */
async function nestModulesByFolder(): Promise<Map<Type, string>> {
  const named = new Map<Type, string>();
  for (const module of moduleNames()) {
    for (const [name, value] of Object.entries(await publicEntry(module))) {
      if (typeof value === 'function' && name.endsWith('Module')) named.set(value as Type, module);
    }
  }
  return named;
}

/** Edges of `graph` that `other` lacks. */
function missingFrom(graph: Graph, other: Graph): string[] {
  return [...graph].flatMap(([from, targets]) => [...targets].filter((to) => !other.get(from)?.has(to)).map((to) => `${from} → ${to}`));
}

describe('module boundaries', () => {
  it('finds the modules and their imports (the scan itself works)', () => {
    expect(moduleNames()).toEqual(expect.arrayContaining(['conversations', 'identity', 'messages', 'tenants']));
    expect([...moduleImportGraph(sources).get('messages') ?? []]).toEqual(expect.arrayContaining(['conversations', 'attachments']));
  });

  it.each(moduleNames())('%s has a public entry, index.ts, that exports its Nest module', async (module) => {
    expect(existsSync(join(MODULES, module, 'index.ts'))).toBe(true);
    expect(Object.keys(await publicEntry(module)).some((name) => name.endsWith('Module'))).toBe(true);
  });

  describe('a module is reached only through its public entry', () => {
    it('no file of src imports a file behind another module\'s index.ts', () => {
      expect(reachesBehindPublicEntry(sources)).toEqual([]);
    });

    it('refuses a probe that reaches a repository and a table of another module, from a module and from outside', () => {
      const fromModule = probe('src/modules/tenants/boundary-probe.ts', [
        "import { UserRepository } from '../identity/user.repository';",
        "import { userTable } from '../identity/user.table';",
        "import { UserDirectory } from '../identity';",
        "import { TenantLookup } from './tenant-lookup';",
      ].join('\n'));
      const fromCli = probe('src/cli/boundary-probe.ts', "import { MessageRepository } from '../modules/messages/message.repository.js';");
      expect(reachesBehindPublicEntry([fromModule, fromCli])).toEqual([
        { file: 'src/modules/tenants/boundary-probe.ts', specifier: '../identity/user.repository' },
        { file: 'src/modules/tenants/boundary-probe.ts', specifier: '../identity/user.table' },
        { file: 'src/cli/boundary-probe.ts', specifier: '../modules/messages/message.repository.js' },
      ]);
    });

    it.each(moduleNames())('the public entry of %s exports no repository and no table', async (module) => {
      expect(repositoriesAndTables(await publicEntry(module))).toEqual([]);
    });

    it('the export check refuses a probe entry that exports a repository and a table', () => {
      expect(repositoriesAndTables({ ...userRepositoryFile, ...userTableFile })).toEqual(['UserRepository', 'userTable']);
    });
  });

  describe('modules import each other without a cycle', () => {
    it('the import graph between module folders has no cycle', () => {
      expect(findCycle(moduleImportGraph(sources))).toBeNull();
    });

    it('refuses a probe that closes a cycle (tenants → conversations → identity → tenants)', () => {
      const closing = probe('src/modules/tenants/cycle-probe.ts', "import { ConversationAccess } from '../conversations';");
      const cycle = findCycle(moduleImportGraph([...sources, closing]));
      expect(cycle).not.toBeNull();
      expect(cycle).toEqual(expect.arrayContaining(['tenants', 'conversations', 'identity']));
    });
  });

  describe('Nest\'s module graph is the dependency graph', () => {
    it('has no cycle', async () => {
      const nest = await nestClassGraph();
      expect(nest.get('MessagesModule')).toEqual(new Set(['ConversationAccessModule', 'AttachmentsModule', 'IdentityModule']));
      expect(findCycle(nest)).toBeNull();
    });

    it('refuses a probe pair of modules that import each other (forwardRef)', () => {
      @Module({ imports: [forwardRef(() => ProbeB)] })
      class ProbeA {}
      @Module({ imports: [ProbeA] })
      class ProbeB {}
      const named = new Map<Type, string>([[ProbeA, 'ProbeA'], [ProbeB, 'ProbeB']]);
      expect(findCycle(nestModuleGraph([ProbeA], named))).toEqual(['ProbeA', 'ProbeB', 'ProbeA']);
    });

    it('every import between module folders is also an import between their Nest modules', async () => {
      expect(missingFrom(moduleImportGraph(sources), await nestFolderGraph())).toEqual([]);
    });

    it('refuses a probe file whose module uses another that its Nest module does not import', async () => {
      const unwired = probe('src/modules/attachments/unwired-probe.ts', "import { UserDirectory } from '../identity';");
      expect(missingFrom(moduleImportGraph([...sources, unwired]), await nestFolderGraph())).toEqual(['attachments → identity']);
    });
  });

  describe('lint refuses what these tests refuse', () => {
    const probes = {
      moduleReach: probe('src/modules/conversations/lint-probe.ts', [
        "import { UserRepository } from '../identity/user.repository';",
        "import { tenantTable } from '../../modules/tenants/tenant.table';",
        "import { UserDirectory } from '../identity';",
        'export const reach = [UserRepository, tenantTable, UserDirectory];',
      ].join('\n')),
      cliReach: probe('src/cli/lint-probe.ts', "import { MessageRepository } from '../modules/messages/message.repository';\nexport const reach = MessageRepository;\n"),
      cycle: probe('src/modules/tenants/lint-probe.ts', "import { UserDirectory } from '../identity';\nexport const back = UserDirectory;\n"),
      fine: probe('src/modules/messages/lint-probe.ts', "import { UserDirectory } from '../identity';\nexport const fine = UserDirectory;\n"),
    };
    let ruleIds: Record<keyof typeof probes, string[]>;

    beforeAll(() => {
      // ESLint loads its config with import(), which jest's module system cannot run: lint in a child process, once.
      // The probes are not on disk, so the type-aware parser settings and rules are switched off for them.
      const script = `
        const { ESLint } = require('eslint');
        const eslint = new ESLint({ cwd: ${JSON.stringify(ROOT)}, overrideConfig: { languageOptions: { parserOptions: { projectService: false } },
          rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' } } });
        const probes = ${JSON.stringify(probes)};
        Promise.all(Object.entries(probes).map(async ([name, { file, text }]) => {
          const [result] = await eslint.lintText(text, { filePath: file });
          return [name, result.messages.map((m) => m.ruleId)];
        })).then((results) => process.stdout.write(JSON.stringify(Object.fromEntries(results))));`;
      ruleIds = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT }).toString()) as typeof ruleIds;
    });

    it('an import of another module\'s repository or table, from a module or from elsewhere in src', () => {
      expect(ruleIds.moduleReach).toEqual(['no-restricted-imports', 'no-restricted-imports']);
      expect(ruleIds.cliReach).toEqual(['no-restricted-imports']);
    });

    it('an import that closes a cycle between modules', () => {
      expect(ruleIds.cycle).toEqual(['module-boundaries/no-module-cycle']);
    });

    it('accepts an import through a public entry that closes no cycle', () => {
      expect(ruleIds.fine).toEqual([]);
    });
  });
});

/** Nest's graph between folders: an edge where a folder's Nest module imports another folder's. */
async function nestFolderGraph(): Promise<Graph> {
  return nestModuleGraph(PRODUCT_MODULES, await nestModulesByFolder());
}

/** Nest's graph between the product's module classes, by class name. */
async function nestClassGraph(): Promise<Graph> {
  return nestModuleGraph(PRODUCT_MODULES, new Map([...(await nestModulesByFolder()).keys()].map((type) => [type, type.name])));
}
