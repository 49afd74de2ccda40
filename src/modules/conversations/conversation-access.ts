import { Counter, PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationRepository, MemberRepository } from './conversation.repository';
import { MemberRole } from './conversation.table';

/**
 * What the other modules may know of conversations: whether a user belongs to one (the non-member 404 rule), its
 * last seq, the counter a message draws its seq from, and which conversations a user is in.
 */
export class ConversationAccess {
  private readonly conversations: ConversationRepository;
  private readonly members: MemberRepository;

  constructor(kit: PersistenceKit) {
    this.conversations = new ConversationRepository(kit);
    this.members = new MemberRepository(kit);
  }

  /** The user's role; 404 naming `resource` when the user is not a member, whether or not the conversation exists. */
  requireMember(tenantId: string, conversationId: string, userId: string, resource = 'conversation'): Promise<MemberRole> {
    return this.members.requireMember(tenantId, conversationId, userId, resource);
  }

  /** The seq of the conversation's newest message; null when there is no such conversation. */
  async lastSeq(tenantId: string, conversationId: string): Promise<number | null> {
    return (await this.conversations.state(tenantId, conversationId))?.lastSeq ?? null;
  }

  /** See ConversationRepository.seqCounter: drawn in the same statement as the message insert. */
  seqCounter(conversationId: string, senderId: string, at: Date): Counter {
    return this.conversations.seqCounter(conversationId, senderId, at);
  }

  conversationsOf(tenantId: string, userId: string): Promise<string[]> {
    return this.members.conversationsOf(tenantId, userId);
  }
}
