import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import ts from 'typescript';

export const ROOT = join(__dirname, '..', '..');
export const MODULES = join(ROOT, 'src', 'modules');

export interface SourceFile {
  file: string;
  text: string;
}

export interface ImportReach {
  file: string;
  specifier: string;
}

export function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

export function readSources(files: readonly string[]): SourceFile[] {
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

export function moduleNames(): string[] {
  return readdirSync(MODULES, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** The module (folder of src/modules) a path lies in, or null outside them. */
export function moduleOf(path: string): string | null {
  const rel = relative(MODULES, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  const [name, ...rest] = rel.split(sep);
  return rest.length > 0 || !name.endsWith('.ts') ? name : null;
}

function relativeImports(source: SourceFile): { specifier: string; target: string }[] {
  return ts.preProcessFile(source.text, true, true).importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ specifier, target: resolve(dirname(source.file), specifier).replace(/\.(js|ts)$/, '') }));
}

/** Imports of another module's files other than its public entry, index.ts. */
export function reachesBehindPublicEntry(sources: readonly SourceFile[]): ImportReach[] {
  return sources.flatMap((source) => relativeImports(source)
    .filter(({ target }) => {
      const module = moduleOf(target);
      if (module === null || module === moduleOf(source.file)) return false;
      const entry = join(MODULES, module);
      return target !== entry && target !== join(entry, 'index');
    })
    .map(({ specifier }) => ({ file: relative(ROOT, source.file), specifier })));
}

export type Graph = Map<string, Set<string>>;

/** Which modules each module's files import. */
export function moduleImportGraph(sources: readonly SourceFile[]): Graph {
  const graph: Graph = new Map();
  for (const source of sources) {
    const from = moduleOf(source.file);
    if (from === null) continue;
    for (const { target } of relativeImports(source)) {
      const to = moduleOf(target);
      if (to !== null && to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

/** One cycle of the graph as the nodes along it (first node repeated at the end), or null when there is none. */
export function findCycle(graph: Graph): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node];
    state.set(node, 'open');
    trail.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

type NestImport = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

function isDynamic(candidate: NestImport): candidate is DynamicModule {
  return typeof candidate === 'object' && 'module' in candidate;
}

function isForwardReference(candidate: NestImport): candidate is ForwardReference {
  return typeof candidate === 'object' && 'forwardRef' in candidate;
}

/**
 * Nest's module graph as Nest reads it (the `imports` of each @Module, and of each dynamic module), from the given
 * roots, between the names `named` gives module classes (several classes may share one, e.g. their folder); modules
 * outside `named` (platform, libraries) are left out.
 */
export function nestModuleGraph(roots: readonly NestImport[], named: ReadonlyMap<Type, string>): Graph {
  const graph: Graph = new Map();
  const seen = new Set<NestImport>();
  const resolveImport = (candidate: NestImport): { module: Type; imports: NestImport[] } | null => {
    if (candidate instanceof Promise) return null;
    if (isForwardReference(candidate)) return resolveImport(candidate.forwardRef() as NestImport);
    if (isDynamic(candidate)) {
      const statics = (Reflect.getMetadata('imports', candidate.module) ?? []) as NestImport[];
      return { module: candidate.module, imports: [...statics, ...(candidate.imports ?? []) as NestImport[]] };
    }
    return { module: candidate, imports: (Reflect.getMetadata('imports', candidate) ?? []) as NestImport[] };
  };
  const walk = (candidate: NestImport): void => {
    if (seen.has(candidate)) return;
    seen.add(candidate);
    const resolved = resolveImport(candidate);
    if (!resolved) return;
    const from = named.get(resolved.module);
    for (const imported of resolved.imports) {
      const to = resolveImport(imported);
      const toName = to ? named.get(to.module) : undefined;
      if (from !== undefined && toName !== undefined && from !== toName) graph.set(from, (graph.get(from) ?? new Set()).add(toName));
      walk(imported);
    }
  };
  roots.forEach(walk);
  return graph;
}
