import { TableDefinition } from '../../platform/persistence/table-definition';

export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'member';

/** A group holds at most this many members, its owner included. */
export const MAX_GROUP_MEMBERS = 300;

export interface ConversationRecord {
  id: string;
  tenantId: string;
  type: ConversationType;
  title: string | null;
  /** "<lower user id>:<higher user id>" for a direct conversation: one per pair. */
  directPair: string | null;
  createdBy: string;
  /** The seq of the newest message: the per-conversation counter. */
  lastSeq: number;
  lastMessageAt: Date | null;
  lastActivityAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRecord {
  id: string;
  tenantId: string;
  conversationId: string;
  userId: string;
  role: MemberRole;
  /** The highest seq this member has read; never moves backwards. */
  readSeq: number;
  joinedAt: Date;
  updatedAt: Date;
}

/** The title is PHI (it often names the patient): sealed. */
export const conversationTable: TableDefinition<ConversationRecord> = {
  table: 'conversation',
  resourceType: 'conversation',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    type: { column: 'type' },
    title: { column: 'title_sealed', sealed: true },
    directPair: { column: 'direct_pair' },
    createdBy: { column: 'created_by' },
    lastSeq: { column: 'last_seq' },
    lastMessageAt: { column: 'last_message_at' },
    lastActivityAt: { column: 'last_activity_at' },
    createdAt: { column: 'created_at' },
    updatedAt: { column: 'updated_at' },
  },
};

export const memberTable: TableDefinition<MemberRecord> = {
  table: 'conversation_member',
  resourceType: 'conversation_member',
  tenantColumn: 'tenant_id',
  columns: {
    id: { column: 'id' },
    tenantId: { column: 'tenant_id' },
    conversationId: { column: 'conversation_id' },
    userId: { column: 'user_id' },
    role: { column: 'role' },
    readSeq: { column: 'read_seq' },
    joinedAt: { column: 'joined_at' },
    updatedAt: { column: 'updated_at' },
  },
};

export function directPairOf(a: string, b: string): string {
  const [low, high] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `${low}:${high}`;
}

export function conversationChannel(conversationId: string): string {
  return `conversation:${conversationId}`;
}
