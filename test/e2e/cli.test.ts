import { Client } from 'pg';
import { runCli } from '../support/built-app';
import { testEnvironment, workerDatabaseUrl } from '../support/test-environment';
import { migrations } from '../../migrations';

const env = (): NodeJS.ProcessEnv => ({ DATABASE_URL: workerDatabaseUrl(), DATA_DIR: testEnvironment().dataDir, LOG_LEVEL: 'warn' });
const jsonLines = (stdout: string): unknown[] => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);

describe('CLI', () => {
  const slug = `cli-${Date.now().toString(36)}`;
  let tenantId: string;

  it('creates a tenant with its admin, reading the password from stdin, and prints one JSON line', async () => {
    const result = await runCli(['tenant', 'create', '--slug', slug, '--name', 'Acme Clinic', '--admin-email', `admin@${slug}.test`], env(), 'a long enough password\n');
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({ tenantId: expect.any(String), slug, adminUserId: expect.any(String) });
    tenantId = (lines[0] as { tenantId: string }).tenantId;
  });

  it('refuses a duplicate slug and a short password with a non-zero exit and a clear error', async () => {
    const duplicate = await runCli(['tenant', 'create', '--slug', slug, '--name', 'Again', '--admin-email', 'x@y.test'], { ...env(), ADMIN_PASSWORD: 'a long enough password' });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('CONFLICT');
    const weak = await runCli(['tenant', 'create', '--slug', `${slug}-2`, '--name', 'Weak', '--admin-email', 'x@y.test'], { ...env(), ADMIN_PASSWORD: 'short' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('VALIDATION_FAILED');
    expect(weak.stdout).toBe('');
  });

  it('rotates a tenant key', async () => {
    const result = await runCli(['keys', 'rotate', '--tenant', slug], env());
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ tenantId, purpose: 'data', version: 2 }]);
  });

  it('audit verify exits 0 when intact and 3 naming the row a superuser edited or deleted', async () => {
    expect((await runCli(['audit', 'seal'], env())).code).toBe(0);
    const intact = await runCli(['audit', 'verify', '--tenant', slug], env());
    expect(intact.code).toBe(0);
    expect(jsonLines(intact.stdout)).toEqual([expect.objectContaining({ intact: true, tenantId })]);

    const superuser = new Client({ connectionString: workerDatabaseUrl() });
    await superuser.connect();
    try {
      const { rows } = await superuser.query<{ id: string }>('SELECT id FROM audit_event WHERE tenant_id = $1 ORDER BY xact_id, id', [tenantId]);
      await superuser.query('ALTER TABLE audit_event DISABLE TRIGGER ALL');
      await superuser.query("UPDATE audit_event SET resource_id = 'forged' WHERE id = $1", [rows[0].id]);
      await superuser.query('ALTER TABLE audit_event ENABLE TRIGGER ALL');
      const edited = await runCli(['audit', 'verify', '--tenant', slug], env());
      expect(edited.code).toBe(3);
      expect(jsonLines(edited.stdout)).toEqual([{ intact: false, tenantId, problem: 'event_modified', eventId: rows[0].id }]);

      await superuser.query('SET session_replication_role = replica');
      await superuser.query('DELETE FROM audit_event WHERE id = $1', [rows[0].id]);
      const deleted = await runCli(['audit', 'verify', '--tenant', slug], env());
      expect(deleted.code).toBe(3);
      expect(jsonLines(deleted.stdout)).toEqual([{ intact: false, tenantId, problem: 'event_missing', eventId: rows[0].id }]);
    } finally {
      await superuser.end();
    }
  });

  it('migrate applies pending migrations even when boot-time migrations are switched off', async () => {
    const result = await runCli(['migrate'], { ...env(), MIGRATIONS_RUN: 'false' });
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ migrated: true, migrations: migrations.map((Migration) => new Migration().name) }]);
  });

  it('keys rotate-signing prints one JSON line with the new kid and a generation that grows on each run', async () => {
    const first = await runCli(['keys', 'rotate-signing'], env());
    expect(first.code).toBe(0);
    const [added] = jsonLines(first.stdout) as { kid: string; generation: number }[];
    expect(jsonLines(first.stdout)).toEqual([{ kid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), generation: expect.any(Number) }]);
    expect(added.generation).toBeGreaterThanOrEqual(1);

    const second = await runCli(['keys', 'rotate-signing'], env());
    expect(second.code).toBe(0);
    const [next] = jsonLines(second.stdout) as { kid: string; generation: number }[];
    expect(jsonLines(second.stdout)).toHaveLength(1);
    expect(next.generation).toBe(added.generation + 1);
    expect(next.kid).not.toBe(added.kid);
  });

  it('exits non-zero for an unknown tenant and for bad usage', async () => {
    expect((await runCli(['audit', 'verify', '--tenant', 'no-such-tenant'], env())).code).toBe(1);
    expect((await runCli(['frobnicate'], env())).code).toBe(2);
  });
});
