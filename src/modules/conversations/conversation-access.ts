import { NotFoundError } from '../../platform/errors';
import { Counter, PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationRepository, MemberRepository } from './conversation.repository';
import { MemberRole } from './conversation.table';

/**
 * What the other modules may know of conversations: whether a user belongs to one (the non-member 404 rule), its
 * last seq, the counter a message draws its seq from, and which conversations a user is in.
 */
export class ConversationAccess {
  /** Over the module's own repositories: what Nest provides, and what specs of other modules build. */
  static over(kit: PersistenceKit): ConversationAccess {
    return new ConversationAccess(new ConversationRepository(kit), new MemberRepository(kit));
  }

  constructor(
    private readonly conversations: Pick<ConversationRepository, 'state' | 'seqCounter'>,
    private readonly members: Pick<MemberRepository, 'membership' | 'conversationsOf'>,
  ) {}

  /**
   * The user's role in the conversation. A user who is not a member gets 404, whether or not the conversation exists
   * (in this tenant or another): `resource` names what the caller asked for.
   */
  async requireMember(tenantId: string, conversationId: string, userId: string, resource = 'conversation'): Promise<MemberRole> {
    const member = await this.members.membership(tenantId, conversationId, userId);
    if (!member) throw new NotFoundError(resource);
    return member.role;
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
