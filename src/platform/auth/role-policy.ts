import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Role, ROLES } from './principal';

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
  readonly permissions: ReadonlySet<string>;

  constructor(document: RolePolicyDocument) {
    this.permissions = new Set(Object.keys(document.permissions));
    const granted = new Map<Role, ReadonlySet<string>>();
    for (const role of ROLES) {
      const entry = document.roles[role] as RolePolicyDocument['roles'][Role] | undefined;
      if (!entry) throw new Error(`policies/roles.json has no role ${role}`);
      const unknown = entry.permissions.filter((permission) => !this.permissions.has(permission));
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

  allows(role: Role, permission: string): boolean {
    return this.granted.get(role)?.has(permission) ?? false;
  }
}
