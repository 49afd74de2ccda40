import { Module } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationAccess } from './conversation-access';

/** Membership and seq counters for the modules whose data lives inside a conversation (messages, attachments). */
@Module({
  providers: [
    {
      provide: ConversationAccess,
      inject: [PersistenceKit],
      useFactory: (kit: PersistenceKit) => ConversationAccess.over(kit),
    },
  ],
  exports: [ConversationAccess],
})
export class ConversationAccessModule {}
