import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppConfig, publicBaseUrl } from '../../config/app-config';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { OBJECT_STORE, ObjectStore } from '../../platform/storage/object-store.port';
import { ConversationAccess, ConversationAccessModule } from '../conversations';
import { TenantLookup, TenantsModule } from '../tenants';
import { AttachmentsController } from './attachments.controller';
import { AttachmentsService } from './attachments.service';
import { registerRawBodyRoutes } from './raw-body';

/**
 * File attachments: direct uploads to the object store, checked on completion (size, sniffed type), linked to one
 * message. Exports AttachmentsService for the messages module.
 */
@Module({
  imports: [ConversationAccessModule, TenantsModule],
  controllers: [AttachmentsController],
  providers: [
    {
      provide: AttachmentsService,
      inject: [PersistenceKit, ConversationAccess, TenantLookup, OBJECT_STORE, AppConfig],
      useFactory: (kit: PersistenceKit, access: ConversationAccess, tenants: TenantLookup, objectStore: ObjectStore, config: AppConfig) =>
        new AttachmentsService(kit, access, tenants, objectStore, { publicBaseUrl: publicBaseUrl(config), kmsKeyId: config.KMS_KEY_ID }),
    },
  ],
  exports: [AttachmentsService],
})
export class AttachmentsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost, private readonly attachments: AttachmentsService) {}

  /** With the embedded store the app receives uploads itself: their route reads raw bodies up to the declared size. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter || adapter.getType() !== 'fastify') return;
    const params = (request: FastifyRequest): Record<string, unknown> => (request.params ?? {}) as Record<string, unknown>;
    registerRawBodyRoutes(adapter.getInstance<FastifyInstance>(), (request) => this.attachments.admitUpload(params(request).id, request.query));
  }
}
