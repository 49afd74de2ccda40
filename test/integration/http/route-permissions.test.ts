import { Controller, Get } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '../../../src/create-app';
import { RouteCatalog } from '../../../src/platform/http/route-catalog';
import { Platform } from '../../../src/platform/platform';
import { RolePolicy } from '../../../src/platform/auth/role-policy';
import { ROLES } from '../../../src/platform/auth/principal';
import { createTestPlatform } from '../../support/test-platform';

/**
 * A diff in this snapshot changes who can reach an endpoint or how it is audited: review it as a permission change.
 */
describe('route permissions', () => {
  let platform: Platform;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    platform = await createTestPlatform();
    app = await createHttpApp(platform);
  });
  afterAll(async () => { await app.close(); });

  it('lists every route with its access and audit action', () => {
    const routes = app.get(RouteCatalog).routes();
    const pathWidth = Math.max(...routes.map((route) => route.path.length));
    const table = routes.map((route) => `${route.method.padEnd(6)} ${route.path.padEnd(pathWidth)} ${route.access.padEnd(42)} ${route.audit}`);
    expect(table.join('\n')).toMatchSnapshot();
  });

  it('documents every API route in the OpenAPI document, with its path parameters', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs-json' });
    const document = response.json<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>();
    const missing: string[] = [];
    for (const route of app.get(RouteCatalog).routes().filter((candidate) => candidate.path.startsWith('/v1/'))) {
      const operation = document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      const declared = new Set((operation?.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name));
      const wanted = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      if (!operation || wanted.some((name) => !declared.has(name))) missing.push(`${route.method} ${route.path}`);
    }
    expect(missing).toEqual([]);
  });

  it('lists what each role may do (policies/roles.json)', () => {
    const policy = RolePolicy.load();
    const grants = ROLES.map((role) => `${role}: ${[...policy.permissions].filter((permission) => policy.allows(role, permission)).join(', ')}`);
    expect(grants.join('\n')).toMatchSnapshot();
  });

  it('refuses to start with a route that declares neither @Public nor a permission', async () => {
    @Controller('undeclared')
    class UndeclaredController {
      @Get() open(): string { return 'nobody should reach this'; }
    }
    await expect(createHttpApp(platform, [UndeclaredController])).rejects.toThrow(/GET \/undeclared \(UNDECLARED\)/);
  });
});
