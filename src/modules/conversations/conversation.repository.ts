import { Counter, PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { conversationChannel, ConversationRecord, conversationTable, MemberRecord, MemberRole, memberTable } from './conversation.table';

export type NewConversation = Pick<ConversationRecord, 'id' | 'tenantId' | 'type' | 'title' | 'directPair' | 'createdBy'>;

/** One conversation of the caller's list, with the caller's own read pointer. */
export interface ConversationActivity {
  id: string;
  lastActivityAt: Date;
  readSeq: number;
}

export interface ActivityCursor {
  lastActivityAt: Date;
  id: string;
}

export class ConversationRepository extends TenantScopedRepository<ConversationRecord> {
  constructor(kit: PersistenceKit) {
    super(conversationTable, kit);
  }

  create(conversation: NewConversation): Promise<ConversationRecord> {
    // Activity times are written from JS Dates (millisecond precision) so the list cursor, which carries one, is exact.
    return this.insert({ ...conversation, lastActivityAt: new Date() }, {
      outbox: { channel: conversationChannel(conversation.id), eventType: 'conversation.created', payload: { conversationId: conversation.id } },
    });
  }

  findById(tenantId: string, id: string): Promise<ConversationRecord | null> {
    return this.findOne({ tenantId, id });
  }

  /** Opens no title: the state a send, a read pointer or an access check needs. */
  async state(tenantId: string, id: string): Promise<Pick<ConversationRecord, 'id' | 'type' | 'lastSeq'> | null> {
    const [conversation] = await this.findColumns({ tenantId, id }, ['type', 'lastSeq']);
    return conversation ?? null;
  }

  findByDirectPair(tenantId: string, directPair: string): Promise<ConversationRecord | null> {
    return this.findOne({ tenantId, directPair });
  }

  findByIds(tenantId: string, ids: readonly string[]): Promise<ConversationRecord[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.findMany({ tenantId, id: ids });
  }

  retitle(tenantId: string, id: string, title: string | null): Promise<ConversationRecord | null> {
    return this.update({ tenantId, id }, { title, lastActivityAt: new Date() }, {
      outbox: { channel: conversationChannel(id), eventType: 'conversation.updated', payload: { conversationId: id } },
    });
  }

  /**
   * The counter a message draws its seq from: the next value of this conversation's counter, only if the sender is a member. The
   * draw and the insert are one statement, so the row lock (no lock wider than the conversation) is held only from
   * there to commit, and a rolled-back send gives its seq back: gap-free.
   */
  seqCounter(id: string, senderId: string, at: Date): Counter {
    const { columns } = conversationTable;
    return {
      table: conversationTable.table,
      id,
      column: columns.lastSeq.column,
      set: { [columns.lastMessageAt.column]: at, [columns.lastActivityAt.column]: at, [columns.updatedAt.column]: at },
      onlyIfExists: { table: memberTable.table, where: { [memberTable.columns.conversationId.column]: id, [memberTable.columns.userId.column]: senderId } },
    };
  }

  /** The caller's conversations, most recent activity first (keyset on activity time, then id). */
  activityOf(tenantId: string, userId: string, limit: number, after?: ActivityCursor): Promise<ConversationActivity[]> {
    return this.findJoined({ tenantId }, {
      join: { table: memberTable, on: { id: 'conversationId' }, where: { userId } },
      select: ['id', 'lastActivityAt'],
      selectJoined: ['readSeq'],
      orderBy: { lastActivityAt: 'desc', id: 'desc' },
      after,
      limit,
    });
  }
}

export class MemberRepository extends TenantScopedRepository<MemberRecord> {
  constructor(kit: PersistenceKit) {
    super(memberTable, kit);
  }

  add(tenantId: string, conversationId: string, userId: string, role: MemberRole): Promise<MemberRecord> {
    return this.insert({ tenantId, conversationId, userId, role, readSeq: 0 }, {
      auditDetails: { conversationId, userId, role },
      outbox: { channel: conversationChannel(conversationId), eventType: 'conversation.member_added', payload: { conversationId, userId } },
    });
  }

  async membership(tenantId: string, conversationId: string, userId: string): Promise<Pick<MemberRecord, 'id' | 'role' | 'readSeq'> | null> {
    const [member] = await this.findColumns({ tenantId, conversationId, userId }, ['role', 'readSeq']);
    return member ?? null;
  }

  async conversationsOf(tenantId: string, userId: string): Promise<string[]> {
    return (await this.findColumns({ tenantId, userId }, ['conversationId'])).map((member) => member.conversationId);
  }

  list(tenantId: string, conversationId: string): Promise<Pick<MemberRecord, 'id' | 'userId' | 'role' | 'readSeq'>[]> {
    return this.findColumns({ tenantId, conversationId }, ['userId', 'role', 'readSeq'], { orderBy: { joinedAt: 'asc', id: 'asc' } });
  }

  async remove(tenantId: string, conversationId: string, member: Pick<MemberRecord, 'id' | 'userId'>): Promise<boolean> {
    return this.delete({ tenantId, id: member.id }, {
      auditDetails: { conversationId, userId: member.userId },
      outbox: { channel: conversationChannel(conversationId), eventType: 'conversation.member_removed', payload: { conversationId, userId: member.userId } },
    });
  }

  /** Moves the read pointer forward only; returns the pointer as it stands afterwards, or null for a non-member. */
  async markRead(tenantId: string, conversationId: string, userId: string, seq: number): Promise<boolean> {
    const changed = await this.updateWhere({ tenantId, conversationId, userId }, { readSeq: seq }, {
      range: { readSeq: { lt: seq } },
      auditAction: 'conversation.read',
      auditDetails: { conversationId, seq },
      outbox: { channel: conversationChannel(conversationId), eventType: 'conversation.read', payload: { conversationId, userId, seq } },
    });
    return changed.length > 0;
  }
}
