import { Module } from '@nestjs/common';
import { RolePolicy } from '../../platform/auth/role-policy';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { AttachmentsModule, AttachmentsService } from '../attachments';
import { ConversationAccess, ConversationAccessModule, UNREAD_COUNTS } from '../conversations';
import { IdentityModule } from '../identity';
import { IdempotencyKeyRepository } from './idempotency.repository';
import { MessageRepository, MessageVersionRepository, ReactionRepository } from './message.repository';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SearchController } from './search.controller';
import { UnreadMessages } from './unread-messages';

/**
 * Sequenced messages: send, read, edit with history, delete, react, and blind-index search. Exports the unread
 * counts the conversation list shows (UNREAD_COUNTS).
 */
@Module({
  imports: [ConversationAccessModule, AttachmentsModule, IdentityModule],
  controllers: [MessagesController, SearchController],
  providers: [
    {
      provide: MessagesService,
      inject: [PersistenceKit, ConversationAccess, AttachmentsService, RolePolicy],
      useFactory: (kit: PersistenceKit, access: ConversationAccess, attachments: AttachmentsService, roles: RolePolicy) => new MessagesService(kit, access, {
        messages: new MessageRepository(kit),
        versions: new MessageVersionRepository(kit),
        reactions: new ReactionRepository(kit),
        idempotency: new IdempotencyKeyRepository(kit),
      }, attachments, roles),
    },
    { provide: UNREAD_COUNTS, inject: [PersistenceKit], useFactory: (kit: PersistenceKit) => new UnreadMessages(kit) },
  ],
  exports: [UNREAD_COUNTS],
})
export class MessagesModule {}
