import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ReadPointer, UnreadCounts } from '../conversations';
import { MessageRepository } from './message.repository';

/** The conversation list's unread counts, counted here because the messages are this module's. */
export class UnreadMessages implements UnreadCounts {
  private readonly messages: MessageRepository;

  constructor(kit: PersistenceKit) {
    this.messages = new MessageRepository(kit);
  }

  unreadCounts(tenantId: string, userId: string, pointers: readonly ReadPointer[]): Promise<Map<string, number>> {
    return this.messages.unreadCounts(tenantId, userId, pointers);
  }
}
