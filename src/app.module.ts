import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AttachmentsModule } from './modules/attachments';
import { ConversationsModule } from './modules/conversations';
import { IdentityModule } from './modules/identity';
import { MessagesModule } from './modules/messages';
import { OnboardingModule } from './modules/onboarding';
import { TenantsModule } from './modules/tenants';
import { AccessGuard } from './platform/auth/access.guard';
import { HttpAuditInterceptor, HttpErrorAuditHook } from './platform/http/http-audit';
import { RequestContextInterceptor } from './platform/context/request-context.interceptor';
import { ERROR_AUDIT_HOOK, HttpErrorFilter } from './platform/http/error.filter';
import { RouteCatalog } from './platform/http/route-catalog';
import { HealthController } from './platform/observability/health.controller';
import { loggerModuleOptions } from './platform/observability/logger';
import { MetricsController } from './platform/observability/metrics';
import { Platform } from './platform/platform';
import { PlatformModule } from './platform/platform.module';
import { SEALED_LOG_KEYS } from './sealed-tables';

/**
 * The product, one folder of src/modules per capability; the modules they import follow from these. Conversations'
 * list shows unread counts from the messages module, which depends on conversations: the application names the
 * module that provides them, so the dependency between the two runs one way only.
 */
export const PRODUCT_MODULES = [
  TenantsModule,
  IdentityModule,
  OnboardingModule,
  ConversationsModule.forRoot({ unreadCountsFrom: MessagesModule }),
  MessagesModule,
  AttachmentsModule,
];

export interface AppModuleOptions {
  platform: Platform;
  /** Tests mount extra controllers to exercise the request path. */
  extraControllers?: Type[];
}

/**
 * The request path: AccessGuard (deny by default: public, or a permission of policies/roles.json held by a live
 * session) → RequestContextInterceptor (who, which tenant, which request) → HttpAuditInterceptor (audited before
 * the answer leaves) → validation → controller; HttpErrorFilter turns every error into the envelope.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot(loggerModuleOptions({ level: options.platform.config.LOG_LEVEL, sealedKeys: SEALED_LOG_KEYS })),
        PlatformModule.forPlatform(options.platform),
        DiscoveryModule,
        ...PRODUCT_MODULES,
      ],
      controllers: [HealthController, MetricsController, ...(options.extraControllers ?? [])],
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
        { provide: APP_INTERCEPTOR, useClass: HttpAuditInterceptor },
        { provide: ERROR_AUDIT_HOOK, useClass: HttpErrorAuditHook },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        RouteCatalog,
      ],
    };
  }
}
