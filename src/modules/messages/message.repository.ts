import { AuditDetails } from '../../platform/audit/audit-event';
import { Counter, PersistenceKit, TenantScopedRepository } from '../../platform/persistence/tenant-scoped.repository';
import { conversationChannel, ReadPointer } from '../conversations';
import { MessageRecord, messageTable, MessageVersionRecord, messageVersionTable, ReactionRecord, reactionTable } from './message.table';

export interface NewMessage {
  id: string;
  tenantId: string;
  conversationId: string;
  senderId: string;
  body: string;
  replyToSeq: number | null;
  createdAt: Date;
}

export interface SeqWindow {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
  /** Newest first (then reversed by the caller), for a page that ends just before beforeSeq. */
  newestFirst: boolean;
}



export interface ReactionCount {
  messageId: string;
  emoji: string;
  count: number;
  mine: boolean;
}

/** A page of messages is audited as the conversation and the seq range it returned, not message by message. */
function seqRangeOf(conversationId: string) {
  return (messages: readonly MessageRecord[]): AuditDetails => {
    const seqs = messages.map((message) => message.seq);
    return seqs.length === 0 ? { conversationId } : { conversationId, fromSeq: Math.min(...seqs), toSeq: Math.max(...seqs) };
  };
}

function announce(message: Pick<MessageRecord, 'id' | 'conversationId' | 'seq'>, eventType: string) {
  return { channel: conversationChannel(message.conversationId), eventType, payload: { conversationId: message.conversationId, messageId: message.id, seq: message.seq } };
}

export class MessageRepository extends TenantScopedRepository<MessageRecord> {
  constructor(kit: PersistenceKit) {
    super(messageTable, kit);
  }

  /**
   * The message with the next seq of `seqCounter`, its audit event and its outbox event (which carries the seq), as one
   * statement of the caller's send transaction. Null when the counter's guard fails (not a member).
   */
  create(message: NewMessage, seqCounter: Counter): Promise<MessageRecord | null> {
    return this.insertDrawn({ ...message, editedAt: null, deletedAt: null }, { counter: seqCounter, into: 'seq' }, {
      auditDetails: { conversationId: message.conversationId },
      outbox: { channel: conversationChannel(message.conversationId), eventType: 'message.created', payload: { conversationId: message.conversationId, messageId: message.id } },
    });
  }

  findBySeq(tenantId: string, conversationId: string, seq: number, options: { forUpdate?: boolean } = {}): Promise<MessageRecord | null> {
    return this.findMany({ tenantId, conversationId, seq }, { limit: 1, forUpdate: options.forUpdate }, { auditDetailsOf: seqRangeOf(conversationId) })
      .then(([message]) => message ?? null);
  }

  findById(tenantId: string, id: string): Promise<MessageRecord | null> {
    return this.findOne({ tenantId, id });
  }

  /** Who sent it and whether it is deleted, without opening the body. */
  async stateOf(tenantId: string, conversationId: string, seq: number): Promise<Pick<MessageRecord, 'id' | 'conversationId' | 'seq' | 'senderId' | 'deletedAt'> | null> {
    const [message] = await this.findColumns({ tenantId, conversationId, seq }, ['conversationId', 'seq', 'senderId', 'deletedAt']);
    return message ?? null;
  }

  window(tenantId: string, conversationId: string, window: SeqWindow): Promise<MessageRecord[]> {
    return this.findMany({ tenantId, conversationId }, {
      range: { seq: { gt: window.afterSeq, lt: window.beforeSeq } },
      orderBy: { seq: window.newestFirst ? 'desc' : 'asc' },
      limit: window.limit,
    }, { auditAction: 'message.read', auditDetailsOf: seqRangeOf(conversationId) });
  }

  /** Whether a message exists past the end of a page, in the direction paged; opens nothing, so reads nothing. */
  async existsBeyond(tenantId: string, conversationId: string, range: { gt?: number; lt?: number }): Promise<boolean> {
    return (await this.findColumns({ tenantId, conversationId }, ['seq'], { range: { seq: range }, limit: 1 })).length > 0;
  }

  /** Messages in these conversations with every word of the query (blind tokens), newest first. */
  search(tenantId: string, conversationIds: readonly string[], query: string, limit: number): Promise<MessageRecord[]> {
    if (conversationIds.length === 0) return Promise.resolve([]);
    return this.findMany({ tenantId, conversationId: conversationIds }, {
      matching: { key: 'body', query },
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit,
    }, { auditAction: 'message.search' });
  }

  edit(message: Pick<MessageRecord, 'id' | 'tenantId' | 'conversationId' | 'seq'>, body: string, at: Date): Promise<MessageRecord | null> {
    return this.update({ tenantId: message.tenantId, id: message.id }, { body, editedAt: at }, {
      auditAction: 'message.edit',
      auditDetails: { conversationId: message.conversationId, seq: message.seq },
      outbox: announce(message, 'message.edited'),
    });
  }

  /** The tombstone: the body (and its search tokens) go, the row and its seq stay. */
  tombstone(message: Pick<MessageRecord, 'id' | 'tenantId' | 'conversationId' | 'seq'>, at: Date): Promise<MessageRecord | null> {
    return this.update({ tenantId: message.tenantId, id: message.id }, { body: null, deletedAt: at }, {
      auditAction: 'message.delete',
      auditDetails: { conversationId: message.conversationId, seq: message.seq },
      outbox: announce(message, 'message.deleted'),
    });
  }

  /**
   * Per conversation, the messages after the user's read pointer not sent by the user: counted, never cached, so
   * always exact. Conversations without any are left out.
   */
  async unreadCounts(tenantId: string, userId: string, pointers: readonly ReadPointer[]): Promise<Map<string, number>> {
    if (pointers.length === 0) return new Map();
    const rows = await this.aggregate({ tenantId }, {
      anyOf: pointers.map((pointer) => ({ equals: { conversationId: pointer.id }, differs: { senderId: userId }, range: { seq: { gt: pointer.readSeq } } })),
      groupBy: ['conversationId'],
      measures: { unread: { count: '*' } },
    });
    return new Map(rows.map((row) => [row.conversationId, row.unread]));
  }
}

export class MessageVersionRepository extends TenantScopedRepository<MessageVersionRecord> {
  constructor(kit: PersistenceKit) {
    super(messageVersionTable, kit);
  }

  keep(tenantId: string, messageId: string, body: string, replacedAt: Date): Promise<MessageVersionRecord> {
    return this.insert({ tenantId, messageId, body, replacedAt });
  }

  history(tenantId: string, messageId: string, conversationId: string, seq: number): Promise<MessageVersionRecord[]> {
    return this.findMany({ tenantId, messageId }, { orderBy: { replacedAt: 'asc', id: 'asc' } }, {
      auditAction: 'message.history',
      auditDetails: { conversationId, fromSeq: seq, toSeq: seq },
    });
  }

  async discard(tenantId: string, messageId: string): Promise<void> {
    await this.deleteWhere({ tenantId, messageId }, { auditDetails: { messageId } });
  }
}

export class ReactionRepository extends TenantScopedRepository<ReactionRecord> {
  constructor(kit: PersistenceKit) {
    super(reactionTable, kit);
  }

  /** Idempotent: reacting twice with one emoji leaves one reaction. */
  async add(message: Pick<MessageRecord, 'id' | 'tenantId' | 'conversationId' | 'seq'>, userId: string, emoji: string): Promise<void> {
    await this.insert({ tenantId: message.tenantId, messageId: message.id, userId, emoji }, {
      ifAbsent: true,
      auditDetails: { conversationId: message.conversationId, seq: message.seq },
      outbox: { ...announce(message, 'message.reaction_added'), payload: { conversationId: message.conversationId, messageId: message.id, seq: message.seq, userId } },
    });
  }

  async remove(message: Pick<MessageRecord, 'id' | 'tenantId' | 'conversationId' | 'seq'>, userId: string, emoji: string): Promise<void> {
    await this.deleteWhere({ tenantId: message.tenantId, messageId: message.id, userId, emoji }, {
      auditDetails: { conversationId: message.conversationId, seq: message.seq },
      outbox: { ...announce(message, 'message.reaction_removed'), payload: { conversationId: message.conversationId, messageId: message.id, seq: message.seq, userId } },
    });
  }

  async discard(tenantId: string, messageId: string): Promise<void> {
    await this.deleteWhere({ tenantId, messageId }, { auditDetails: { messageId } });
  }

  /** Per message and emoji: how many reacted, and whether the user is one of them. */
  counts(tenantId: string, userId: string, messageIds: readonly string[]): Promise<ReactionCount[]> {
    if (messageIds.length === 0) return Promise.resolve([]);
    return this.aggregate({ tenantId, messageId: messageIds }, {
      groupBy: ['messageId', 'emoji'],
      measures: { count: { count: '*' }, mine: { some: 'userId', equals: userId } },
      orderBy: ['messageId', { earliest: 'createdAt' }, 'emoji'],
    });
  }
}
