import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Role, ROLES } from './principal';

/**
 * A permission named in policies/roles.json, as the compiler reads the file (a type-only import: nothing is bundled,
 * the service still reads the file at boot). A misspelt permission on a route does not compile.
 */
export type Permission = keyof (typeof import('../../../policies/roles.json'))['permissions'];

/** The policy file as committed: permissions, and which roles hold them. */
interface RolePolicyDocument {
  permissions: Record<string, string>;
  roles: Record<Role, { description: string; permissions: string[] }>;
}

/** policies/roles.json, found from both src/ (tests) and dist/src/ (the built service). */
export function rolePolicyPath(from = __dirname): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'policies', 'roles.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) throw new Error('policies/roles.json was not found above ' + from);
  }
}

/** Roles → permissions, loaded once and checked for consistency: a typo in the policy stops the boot. */
export class RolePolicy {
  private readonly granted: ReadonlyMap<Role, ReadonlySet<string>>;
  /** The file read at boot is the file the Permission type was read from; the route catalog checks every route's. */
  readonly permissions: ReadonlySet<Permission>;

  constructor(document: RolePolicyDocument) {
    const permissions: ReadonlySet<string> = new Set(Object.keys(document.permissions));
    this.permissions = permissions as ReadonlySet<Permission>;
    const granted = new Map<Role, ReadonlySet<string>>();
    for (const role of ROLES) {
      const entry = document.roles[role] as RolePolicyDocument['roles'][Role] | undefined;
      if (!entry) throw new Error(`policies/roles.json has no role ${role}`);
      const unknown = entry.permissions.filter((permission) => !permissions.has(permission));
      if (unknown.length > 0) throw new Error(`policies/roles.json grants unknown permissions to ${role}: ${unknown.join(', ')}`);
      granted.set(role, new Set(entry.permissions));
    }
    const extra = Object.keys(document.roles).filter((role) => !(ROLES as readonly string[]).includes(role));
    if (extra.length > 0) throw new Error(`policies/roles.json names roles the service does not know: ${extra.join(', ')}`);
    this.granted = granted;
  }

  static load(path = rolePolicyPath()): RolePolicy {
    return new RolePolicy(JSON.parse(readFileSync(path, 'utf8')) as RolePolicyDocument);
  }

  /** For names read at run time (route metadata, the policy file): whether the policy defines this permission. */
  isPermission(name: string): name is Permission {
    return (this.permissions as ReadonlySet<string>).has(name);
  }

  allows(role: Role, permission: Permission): boolean {
    return this.granted.get(role)?.has(permission) ?? false;
  }
}
