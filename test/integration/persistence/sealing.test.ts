import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../../src/config/app-config';
import { UserRepository } from '../../../src/modules/identity/user.repository';
import { createPlatform, Platform } from '../../../src/platform/platform';
import { ErrorCode } from '../../../src/platform/errors';
import { provisionTenant, rawClient } from '../../support/fixtures';
import { testEnvironment, workerDatabaseUrl } from '../../support/test-environment';

const logLines: string[] = [];
let platform: Platform;
let users: UserRepository;

beforeAll(async () => {
  const capture = new Writable({ write(chunk: Buffer, _encoding, done) { logLines.push(chunk.toString()); done(); } });
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: workerDatabaseUrl(), MIGRATIONS_RUN: 'false', DATA_DIR: testEnvironment().dataDir });
  platform = await createPlatform(config, pino({ level: 'trace' }, capture));
  users = new UserRepository(platform.persistence);
});
afterAll(async () => { await platform.close(); });

describe('PHI sealed at the repository', () => {
  it('keeps a canary out of pg_dump and out of the logs', async () => {
    const canary = `CANARY-${Date.now()}-phi`;
    const tenant = await provisionTenant(platform, `${canary.toLowerCase()}@clinic.test`);
    const user = await users.create({ tenantId: tenant.tenantId, email: `second-${canary}@clinic.test`, displayName: `Patient ${canary}`, role: 'member', passwordHash: null });
    await users.change(tenant.tenantId, user.id, { displayName: `Renamed ${canary}` });
    expect((await users.findById(tenant.tenantId, user.id))?.displayName).toBe(`Renamed ${canary}`);

    const dump = execFileSync('pg_dump', ['--data-only', workerDatabaseUrl()], { maxBuffer: 512 * 1024 * 1024 }).toString();
    expect(dump).toContain('app_user');
    expect(dump.toLowerCase()).not.toContain(canary.toLowerCase());
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('').toLowerCase()).not.toContain(canary.toLowerCase());
  });

  it('refuses a sealed value copied to another row, column or tenant with a clear error', async () => {
    const a = await provisionTenant(platform);
    const b = await provisionTenant(platform);
    const alice = await users.create({ tenantId: a.tenantId, email: 'alice@a.test', displayName: 'Alice', role: 'member', passwordHash: null });
    const owner = await rawClient();
    const sealedOf = async (id: string): Promise<Buffer> =>
      (await owner.query<{ display_name_sealed: Buffer }>('SELECT display_name_sealed FROM app_user WHERE id = $1', [id])).rows[0].display_name_sealed;
    try {
      const aliceName = await sealedOf(alice.id);
      // another row, same tenant and column
      await owner.query('UPDATE app_user SET display_name_sealed = $1 WHERE id = $2', [aliceName, a.adminUserId]);
      await expect(users.findById(a.tenantId, a.adminUserId)).rejects.toMatchObject({ code: ErrorCode.SEALED_DATA_INTEGRITY, details: { table: 'app_user', column: 'display_name_sealed', rowId: a.adminUserId } });
      // another column, same row
      await owner.query('UPDATE app_user SET email_sealed = display_name_sealed WHERE id = $1', [alice.id]);
      await expect(users.findById(a.tenantId, alice.id)).rejects.toMatchObject({ code: ErrorCode.SEALED_DATA_INTEGRITY, details: { column: 'email_sealed' } });
      // another tenant
      await owner.query('UPDATE app_user SET display_name_sealed = $1 WHERE id = $2', [aliceName, b.adminUserId]);
      await expect(users.findById(b.tenantId, b.adminUserId)).rejects.toMatchObject({ code: ErrorCode.SEALED_DATA_INTEGRITY });
    } finally {
      await owner.end();
    }
  });

  it('seals new writes with a rotated key while older rows still open', async () => {
    const tenant = await provisionTenant(platform);
    const before = await users.create({ tenantId: tenant.tenantId, email: 'before@r.test', displayName: 'Before', role: 'member', passwordHash: null });
    expect(await platform.keys.rotate(tenant.tenantId, 'data')).toBe(2);
    const after = await users.create({ tenantId: tenant.tenantId, email: 'after@r.test', displayName: 'After', role: 'member', passwordHash: null });
    const owner = await rawClient();
    try {
      const { rows } = await owner.query<{ id: string; version: number }>(
        'SELECT id, get_byte(display_name_sealed, 4) AS version FROM app_user WHERE id = ANY($1::uuid[])', [[before.id, after.id]]);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.version]))).toEqual({ [before.id]: 1, [after.id]: 2 });
    } finally {
      await owner.end();
    }
    expect((await users.findById(tenant.tenantId, before.id))?.displayName).toBe('Before');
    expect((await users.findById(tenant.tenantId, after.id))?.displayName).toBe('After');
    expect((await users.findByEmail(tenant.tenantId, 'BEFORE@r.test'))?.id).toBe(before.id);
  });
});
