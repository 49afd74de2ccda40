import { TableDefinition } from '../../platform/persistence/table-definition';
import { wordPrefixTokens } from '../../platform/persistence/word-prefix-tokens';

export interface MessageRecord {
  id: string;
  tenantId: string;
  conversationId: string;
  /** 1, 2, 3 … per conversation: gap-free, never reused (a deleted message keeps its seq). */
  seq: number;
  senderId: string;
  /** Null once deleted. */
  body: string | null;
  replyToSeq: number | null;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
}

/** An earlier version of an edited message. */
export interface MessageVersionRecord {
  id: string;
  tenantId: string;
  messageId: string;
  body: string;
  /** When this version was replaced by an edit. */
  replacedAt: Date;
}

export interface ReactionRecord {
  id: string;
  tenantId: string;
  messageId: string;
  userId: string;
  emoji: string;
  createdAt: Date;
}

export interface IdempotencyKeyRecord {
  id: string;
  tenantId: string;
  userId: string;
  /** Keyed hash of the client's Idempotency-Key header: the key itself is never stored. */
  keyHash: Buffer;
  /** Keyed hash of what the request asked for, to tell a retry from a reuse of the key. */
  requestHash: Buffer;
  /** The message the first request created. */
  resourceId: string;
  createdAt: Date;
}

/**
 * Found by every word (a word prefix of three letters or more; shorter words whole), through blind tokens only. They
 * live in the message row (GIN-indexed array): a send writes one row, not one per token.
 */
export const messageBodySearch = wordPrefixTokens({ store: { column: 'body_tokens' }, minPrefix: 3, maxPrefix: 24, shortWordsWhole: true });

export const messageTable: TableDefinition<MessageRecord> = {
  table: 'message',
  resourceType: 'message',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    conversationId: { column: 'conversation_id' },
    seq: { column: 'seq' },
    senderId: { column: 'sender_id' },
    body: { column: 'body_sealed', sealed: true, searchTokens: messageBodySearch },
    replyToSeq: { column: 'reply_to_seq' },
    createdAt: { column: 'created_at' },
    editedAt: { column: 'edited_at' },
    deletedAt: { column: 'deleted_at' },
  },
};

export const messageVersionTable: TableDefinition<MessageVersionRecord> = {
  table: 'message_version',
  resourceType: 'message_version',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    messageId: { column: 'message_id' },
    body: { column: 'body_sealed', sealed: true },
    replacedAt: { column: 'replaced_at' },
  },
};

export const reactionTable: TableDefinition<ReactionRecord> = {
  table: 'message_reaction',
  resourceType: 'message_reaction',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    messageId: { column: 'message_id' },
    userId: { column: 'user_id' },
    emoji: { column: 'emoji' },
    createdAt: { column: 'created_at' },
  },
};

export const idempotencyKeyTable: TableDefinition<IdempotencyKeyRecord> = {
  table: 'idempotency_key',
  resourceType: 'idempotency_key',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    userId: { column: 'user_id' },
    keyHash: { column: 'key_hash' },
    requestHash: { column: 'request_hash' },
    resourceId: { column: 'resource_id' },
    createdAt: { column: 'created_at' },
  },
};
