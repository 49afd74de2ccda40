import { Module } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationAccess } from './conversation-access';
import { ConversationRepository, MemberRepository } from './conversation.repository';

/** Membership and seq counters for the modules whose data lives inside a conversation (messages, attachments). */
@Module({
  providers: [
    {
      provide: ConversationAccess,
      inject: [PersistenceKit],
      useFactory: (kit: PersistenceKit) => new ConversationAccess(new ConversationRepository(kit), new MemberRepository(kit)),
    },
  ],
  exports: [ConversationAccess],
})
export class ConversationAccessModule {}
