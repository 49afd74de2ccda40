import { DynamicModule, Module, Type } from '@nestjs/common';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { IdentityModule, UserDirectory } from '../identity';
import { ConversationAccess } from './conversation-access';
import { ConversationAccessModule } from './conversation-access.module';
import { ConversationRepository, MemberRepository } from './conversation.repository';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { UNREAD_COUNTS, UnreadCounts } from './unread-counts.port';

export interface ConversationsModuleOptions {
  /** The module that exports UNREAD_COUNTS (the messages module); named by the application, which knows both. */
  unreadCountsFrom: Type;
}

/** Direct and group conversations, their members, read pointers and receipts: the HTTP API. */
@Module({})
export class ConversationsModule {
  static forRoot(options: ConversationsModuleOptions): DynamicModule {
    return {
      module: ConversationsModule,
      imports: [ConversationAccessModule, IdentityModule, options.unreadCountsFrom],
      controllers: [ConversationsController],
      providers: [
        {
          provide: ConversationsService,
          inject: [PersistenceKit, ConversationAccess, UserDirectory, UNREAD_COUNTS],
          useFactory: (kit: PersistenceKit, access: ConversationAccess, users: UserDirectory, unread: UnreadCounts) =>
            new ConversationsService(kit.transactions, access, new ConversationRepository(kit), new MemberRepository(kit), users, unread),
        },
      ],
    };
  }
}
