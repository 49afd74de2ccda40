import { Module } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

/** Direct and group conversations, their members, read pointers and receipts. */
@Module({
  controllers: [ConversationsController],
  providers: [{ provide: ConversationsService, inject: [PersistenceKit], useFactory: (kit: PersistenceKit) => new ConversationsService(kit) }],
})
export class ConversationsModule {}
