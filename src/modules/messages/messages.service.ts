import { randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { RolePolicy } from '../../platform/auth/role-policy';
import { blindIndex } from '../../platform/crypto/field-cipher';
import { TenantKeys } from '../../platform/crypto/tenant-keys';
import { TenantTransactions } from '../../platform/database/tenant-transactions';
import { ForbiddenError, NotFoundError } from '../../platform/errors';
import { AttachmentsService, AttachmentSummary } from '../attachments';
import { ConversationAccess } from '../conversations';
import { IdempotencyKeyRepository } from './idempotency.repository';
import { IdempotencyKeyReusedError, messageDeleted, replyTargetMissing } from './message-errors';
import { MessageRecord } from './message.table';
import { MessageRepository, MessageVersionRepository, ReactionCount, ReactionRepository } from './message.repository';

export interface ReactionSummary {
  count: number;
  mine: boolean;
}

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string | null;
  replyToSeq: number | null;
  attachments: AttachmentSummary[];
  reactions: Record<string, ReactionSummary>;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
}

export interface SendRequest {
  body: string;
  replyToSeq?: number | null;
  attachmentIds?: string[];
}

export interface SendResult {
  message: MessageView;
  /** True when an Idempotency-Key retry answered with the message its first request created. */
  replayed: boolean;
}

export interface HistoryItem {
  body: string;
  editedAt: Date;
}

export interface MessageWindow {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
}


/** What sending needs of the platform: transactions, and the tenant's index key (idempotency keys are stored hashed). */
export interface MessagingKit {
  transactions: Pick<TenantTransactions, 'run'>;
  keys: Pick<TenantKeys, 'current'>;
}

export type MessageStore = Pick<MessageRepository, 'create' | 'findById' | 'findBySeq' | 'stateOf' | 'window' | 'existsBeyond' | 'search' | 'edit' | 'tombstone'>;
export type VersionStore = Pick<MessageVersionRepository, 'keep' | 'history' | 'discard'>;
export type ReactionStore = Pick<ReactionRepository, 'add' | 'remove' | 'discard' | 'counts'>;
export type IdempotencyStore = Pick<IdempotencyKeyRepository, 'claim'>;

/** This module's tables; narrow so that a test can hand the service fakes. */
export interface MessageStores {
  messages: MessageStore;
  versions: VersionStore;
  reactions: ReactionStore;
  idempotency: IdempotencyStore;
}

export type MessageAccess = Pick<ConversationAccess, 'requireMember' | 'lastSeq' | 'seqCounter' | 'conversationsOf'>;
export type MessageAttachments = Pick<AttachmentsService, 'attachToMessage' | 'summariesFor' | 'discardForMessage'>;

/**
 * Sending, reading, editing, deleting and reacting to messages. Each write commits its row, its audit event and its
 * outbox event together. A caller that is not a member of the conversation gets 404 for every message in it.
 */
export class MessagesService {
  private readonly messages: MessageStore;
  private readonly versions: VersionStore;
  private readonly reactions: ReactionStore;
  private readonly idempotency: IdempotencyStore;

  constructor(
    private readonly kit: MessagingKit,
    private readonly access: MessageAccess,
    stores: MessageStores,
    private readonly attachments: MessageAttachments,
    private readonly roles: Pick<RolePolicy, 'allows'>,
  ) {
    this.messages = stores.messages;
    this.versions = stores.versions;
    this.reactions = stores.reactions;
    this.idempotency = stores.idempotency;
  }

  /**
   * One transaction: idempotency claim, the next seq if the sender is a member (under the conversation's row lock, so
   * seqs are gap-free: a failed send rolls its seq back with it), the message, its attachments, audit and outbox.
   */
  async send(principal: Principal, conversationId: string, request: SendRequest, idempotencyKey?: string): Promise<SendResult> {
    const { tenantId, userId } = principal;
    const messageId = randomUUID();
    const claim = idempotencyKey === undefined ? undefined : await this.idempotencyClaim(principal, conversationId, request, idempotencyKey, messageId);
    const replyToSeq = request.replyToSeq ?? null;
    if (replyToSeq !== null) {
      // Seqs only grow, so a reply target at or below the last seq now is below the seq this message will draw.
      await this.requireMember(principal, conversationId);
      await this.requireSeqExists(tenantId, conversationId, replyToSeq);
    }
    const outcome = await this.kit.transactions.run(tenantId, async () => {
      if (claim) {
        const claimed = await this.idempotency.claim(claim, new Date());
        if (claimed.kind === 'reused') throw new IdempotencyKeyReusedError();
        if (claimed.kind === 'replay') return { kind: 'replay' as const, messageId: claimed.resourceId };
      }
      const now = new Date();
      const message = await this.messages.create(
        { id: messageId, tenantId, conversationId, senderId: userId, body: request.body, replyToSeq, createdAt: now },
        this.access.seqCounter(conversationId, userId, now),
      );
      if (!message) throw new NotFoundError('conversation');
      const attachments = request.attachmentIds?.length
        ? await this.attachments.attachToMessage(tenantId, conversationId, userId, messageId, request.attachmentIds)
        : [];
      return { kind: 'sent' as const, message, attachments };
    });
    if (outcome.kind === 'replay') {
      const original = await this.messages.findById(tenantId, outcome.messageId);
      if (!original) throw new NotFoundError('message');
      return { message: (await this.views(principal, [original]))[0], replayed: true };
    }
    return { message: toView(outcome.message, outcome.attachments, []), replayed: false };
  }

  async list(principal: Principal, conversationId: string, window: MessageWindow): Promise<{ items: MessageView[]; hasMore: boolean }> {
    await this.requireMember(principal, conversationId);
    const newestFirst = window.beforeSeq !== undefined && window.afterSeq === undefined;
    const page = await this.messages.window(principal.tenantId, conversationId, { ...window, newestFirst });
    if (newestFirst) page.reverse();
    // Only the page is opened (and audited as read); what lies beyond it is asked without opening anything.
    const full = page.length === window.limit;
    const hasMore = full && await this.messages.existsBeyond(principal.tenantId, conversationId, newestFirst
      ? { lt: page[0].seq, gt: window.afterSeq }
      : { gt: page[page.length - 1].seq, lt: window.beforeSeq });
    return { items: await this.views(principal, page), hasMore };
  }

  async get(principal: Principal, conversationId: string, seq: number): Promise<MessageView> {
    await this.requireMember(principal, conversationId);
    const message = await this.messages.findBySeq(principal.tenantId, conversationId, seq);
    if (!message) throw new NotFoundError('message');
    return (await this.views(principal, [message]))[0];
  }

  /** The sender only; the version it replaces is kept, sealed, in the history. */
  async edit(principal: Principal, conversationId: string, seq: number, body: string): Promise<MessageView> {
    await this.requireMember(principal, conversationId);
    const edited = await this.kit.transactions.run(principal.tenantId, async () => {
      const current = await this.messages.findBySeq(principal.tenantId, conversationId, seq, { forUpdate: true });
      if (!current) throw new NotFoundError('message');
      if (current.senderId !== principal.userId) throw new ForbiddenError('Only the sender can edit a message.');
      if (current.deletedAt !== null || current.body === null) throw messageDeleted('edited');
      const now = new Date();
      await this.versions.keep(principal.tenantId, current.id, current.body, now);
      const updated = await this.messages.edit(current, body, now);
      if (!updated) throw new NotFoundError('message');
      return updated;
    });
    return (await this.views(principal, [edited]))[0];
  }

  async history(principal: Principal, conversationId: string, seq: number): Promise<HistoryItem[]> {
    await this.requireMember(principal, conversationId);
    const message = await this.messages.stateOf(principal.tenantId, conversationId, seq);
    if (!message) throw new NotFoundError('message');
    const versions = await this.versions.history(principal.tenantId, message.id, conversationId, seq);
    return versions.map((version) => ({ body: version.body, editedAt: version.replacedAt }));
  }

  /** The sender, or a member holding messaging.moderate. The body, its history, reactions and attachments go; the seq stays. */
  async delete(principal: Principal, conversationId: string, seq: number): Promise<void> {
    await this.requireMember(principal, conversationId);
    await this.kit.transactions.run(principal.tenantId, async () => {
      const message = await this.messages.stateOf(principal.tenantId, conversationId, seq);
      if (!message) throw new NotFoundError('message');
      if (message.senderId !== principal.userId && !this.roles.allows(principal.role, 'messaging.moderate')) {
        throw new ForbiddenError('Only the sender or an administrator can delete a message.');
      }
      if (message.deletedAt !== null) return;
      await this.messages.tombstone({ ...message, tenantId: principal.tenantId }, new Date());
      await this.versions.discard(principal.tenantId, message.id);
      await this.reactions.discard(principal.tenantId, message.id);
      await this.attachments.discardForMessage(principal.tenantId, message.id);
    });
  }

  async react(principal: Principal, conversationId: string, seq: number, emoji: string, present: boolean): Promise<void> {
    await this.requireMember(principal, conversationId);
    const message = await this.messages.stateOf(principal.tenantId, conversationId, seq);
    if (!message) throw new NotFoundError('message');
    const target = { ...message, tenantId: principal.tenantId };
    if (present) {
      if (message.deletedAt !== null) throw messageDeleted('reacted to');
      await this.reactions.add(target, principal.userId, emoji);
    } else {
      await this.reactions.remove(target, principal.userId, emoji);
    }
  }

  /** Messages of the caller's conversations containing every word of the query. */
  async search(principal: Principal, query: string, limit: number, conversationId?: string): Promise<MessageView[]> {
    let conversationIds: string[];
    if (conversationId !== undefined) {
      await this.requireMember(principal, conversationId);
      conversationIds = [conversationId];
    } else {
      conversationIds = await this.access.conversationsOf(principal.tenantId, principal.userId);
    }
    const found = await this.messages.search(principal.tenantId, conversationIds, query, limit);
    return this.views(principal, found);
  }

  private async requireSeqExists(tenantId: string, conversationId: string, seq: number): Promise<void> {
    const lastSeq = await this.access.lastSeq(tenantId, conversationId);
    if (lastSeq !== null && seq > lastSeq) throw replyTargetMissing(lastSeq);
  }

  private async requireMember(principal: Principal, conversationId: string): Promise<void> {
    await this.access.requireMember(principal.tenantId, conversationId, principal.userId);
  }

  private async idempotencyClaim(principal: Principal, conversationId: string, request: SendRequest, key: string, messageId: string) {
    const indexKey = await this.kit.keys.current(principal.tenantId, 'index');
    const fingerprint = JSON.stringify([conversationId, request.body, request.replyToSeq ?? null, request.attachmentIds ?? []]);
    return {
      tenantId: principal.tenantId,
      userId: principal.userId,
      keyHash: blindIndex(indexKey.key, `idempotency-key\u0000${principal.userId}\u0000${key}`),
      requestHash: blindIndex(indexKey.key, `idempotent-request\u0000${fingerprint}`),
      resourceId: messageId,
    };
  }

  private async views(principal: Principal, messages: readonly MessageRecord[]): Promise<MessageView[]> {
    const ids = messages.map((message) => message.id);
    const [attachments, reactions] = await Promise.all([
      this.attachments.summariesFor(principal.tenantId, ids),
      this.reactions.counts(principal.tenantId, principal.userId, ids),
    ]);
    return messages.map((message) => toView(message, attachments.get(message.id) ?? [], reactions.filter((reaction: ReactionCount) => reaction.messageId === message.id)));
  }
}

function toView(message: MessageRecord, attachments: AttachmentSummary[], reactions: readonly ReactionCount[]): MessageView {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    body: message.body,
    replyToSeq: message.replyToSeq,
    attachments,
    reactions: Object.fromEntries(reactions.map((reaction) => [reaction.emoji, { count: reaction.count, mine: reaction.mine }])),
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deletedAt: message.deletedAt,
  };
}
