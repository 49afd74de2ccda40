import { tracing } from './instrumentation';
import { AppConfig, InvalidConfigError, loadConfig } from './config/app-config';
import { createHttpApp } from './create-app';
import { createRootLogger } from './platform/observability/logger';
import { createPlatform } from './platform/platform';
import { SEALED_LOG_KEYS } from './sealed-tables';

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    const lines = error.problems.map((p) => `  ${p.setting}: ${p.problem}`).join('\n');
    process.stderr.write(`Refusing to start. Fix these settings:\n${lines}\n`);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const logger = createRootLogger({ level: config.LOG_LEVEL, sealedKeys: SEALED_LOG_KEYS });
  const started = Date.now();
  const platform = await createPlatform(config, logger);
  const app = await createHttpApp(platform);
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ port: config.PORT, startupMs: Date.now() - started }, 'sealed-channels is ready');
  const shutdown = (): void => void app.close().then(() => tracing.shutdown()).finally(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`sealed-channels failed to start: ${error instanceof Error ? error.message : 'unknown error'}\n`);
  process.exit(1);
});
