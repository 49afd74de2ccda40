import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AuditWriter } from './audit/audit.writer';
import { SigningKeyRing } from './auth/signing-keys';
import { CACHE } from './cache/cache.port';
import { HEALTH_INDICATORS } from './observability/health-indicator';
import { TenantDirectory } from './persistence/tenant-directory';
import { PersistenceKit } from './persistence/tenant-scoped.repository';
import { RateLimiters } from './rate-limit/rate-limiters';
import { Platform } from './platform';
import { REALTIME_PUBLISHER } from './realtime/realtime-publisher.port';
import { OBJECT_STORE } from './storage/object-store.port';

export const PLATFORM = Symbol('Platform');

/** The server works the job queues for as long as it runs; closing the platform stops them first. */
@Injectable()
class PlatformLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(PLATFORM) private readonly platform: Platform) {}

  async onModuleInit(): Promise<void> {
    await this.platform.jobs.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.platform.close();
  }
}

/** Makes the already-built platform (see createPlatform) injectable, and closes it with the application. */
@Global()
@Module({})
export class PlatformModule {
  static forPlatform(platform: Platform): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: PLATFORM, useValue: platform },
        { provide: AppConfig, useValue: platform.config },
        { provide: SigningKeyRing, useValue: platform.signingKeys },
        { provide: RateLimiters, useValue: platform.rateLimiters },
        { provide: TenantDirectory, useValue: platform.tenantDirectory },
        { provide: AuditWriter, useValue: platform.audit },
        { provide: PersistenceKit, useValue: platform.persistence },
        { provide: HEALTH_INDICATORS, useValue: platform.healthIndicators },
        { provide: CACHE, useValue: platform.cache },
        { provide: OBJECT_STORE, useValue: platform.objectStore },
        { provide: REALTIME_PUBLISHER, useValue: platform.realtime },
        { provide: PlatformLifecycle, useClass: PlatformLifecycle },
      ],
      exports: [PLATFORM, AppConfig, SigningKeyRing, RateLimiters, TenantDirectory, AuditWriter, PersistenceKit, HEALTH_INDICATORS, CACHE, OBJECT_STORE, REALTIME_PUBLISHER],
    };
  }
}
