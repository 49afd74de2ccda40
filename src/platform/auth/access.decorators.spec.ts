import 'reflect-metadata';
import { REQUIRED_PERMISSION, RequirePermission } from './access.decorators';
import { Permission, RolePolicy } from './role-policy';

describe('RequirePermission', () => {
  it('records a permission of policies/roles.json on the route', () => {
    class Probe {
      @RequirePermission('messaging.use')
      handler(): void {}
    }

    expect(Reflect.getMetadata(REQUIRED_PERMISSION, Probe.prototype.handler)).toBe('messaging.use');
  });

  it('does not compile with a misspelt permission (tsc fails on this file if the line below ever compiles)', () => {
    // @ts-expect-error 'mesaging.use' is not a permission of policies/roles.json
    const misspelt = RequirePermission('mesaging.use');

    expect(typeof misspelt).toBe('function');
  });

  it('types exactly the permissions the policy file defines at run time', () => {
    const policy = RolePolicy.load();
    const typed: readonly Permission[] = ['profile.read', 'account.manage', 'users.read', 'users.manage', 'messaging.use', 'messaging.moderate'];

    expect([...policy.permissions].sort()).toEqual([...typed].sort());
    expect(policy.isPermission('mesaging.use')).toBe(false);
  });
});
