import { Module } from '@nestjs/common';
import { RolePolicy } from '../../platform/auth/role-policy';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { AttachmentsModule } from '../attachments/attachments.module';
import { AttachmentsService } from '../attachments/attachments.service';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SearchController } from './search.controller';

/** Sequenced messages: send, read, edit with history, delete, react, and blind-index search. */
@Module({
  imports: [AttachmentsModule],
  controllers: [MessagesController, SearchController],
  providers: [
    {
      provide: MessagesService,
      inject: [PersistenceKit, AttachmentsService, RolePolicy],
      useFactory: (kit: PersistenceKit, attachments: AttachmentsService, roles: RolePolicy) => new MessagesService(kit, attachments, roles),
    },
  ],
})
export class MessagesModule {}
