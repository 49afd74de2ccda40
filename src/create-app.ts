import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { fastifyOptions, registerHttpHardening } from './platform/http/fastify-options';
import { createValidationPipe } from './platform/http/validation';
import { OperatorBootLogger } from './platform/observability/logger';
import { registerHttpMetrics } from './platform/observability/metrics';
import { Platform } from './platform/platform';

/** The HTTP application on a built platform: used by main.ts and by the end-to-end tests alike. */
export async function createHttpApp(platform: Platform, extraControllers: Type[] = []): Promise<NestFastifyApplication> {
  const { config } = platform;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ platform, extraControllers }),
    new FastifyAdapter(fastifyOptions({ bodyLimitBytes: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY })),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(new OperatorBootLogger(app.get(Logger)));
  app.useGlobalPipes(createValidationPipe());
  await registerHttpHardening(app);
  registerHttpMetrics(app);

  const document = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('Sealed Channels API')
    .setDescription('HIPAA-grade multi-tenant messaging. Every error is { error: { code, message, details, requestId } }.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}
