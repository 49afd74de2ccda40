import { randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors';
import { TenantTransactions } from '../../platform/database/tenant-transactions';
import { UserDirectory } from '../identity';
import { ConversationRepository, MemberRepository } from './conversation.repository';
import { ConversationRecord, ConversationType, directPairOf, MAX_GROUP_MEMBERS, MemberRole } from './conversation.table';
import { ConversationAccess } from './conversation-access';
import {
  conversationFull,
  directConversationFixed,
  directPairRequired,
  directTitleForbidden,
  invalidCursor,
  InvalidMemberError,
  seqBeyondLast,
} from './conversation-errors';
import { UnreadCounts } from './unread-counts.port';

export interface MemberView {
  userId: string;
  role: MemberRole;
}

export interface ConversationView {
  id: string;
  type: ConversationType;
  title: string | null;
  members: MemberView[];
  lastSeq: number;
  createdAt: Date;
}

export interface ConversationSummary {
  id: string;
  type: ConversationType;
  title: string | null;
  lastSeq: number;
  lastMessageAt: Date | null;
  unreadCount: number;
}

export interface NewConversationRequest {
  type: ConversationType;
  memberIds: string[];
  title?: string | null;
}

export interface ReceiptView {
  userId: string;
  readSeq: number;
}

/** A conversation list cursor: the last item's activity time and id, opaque to clients. */
export function encodeActivityCursor(lastActivityAt: Date, id: string): string {
  return Buffer.from(`${lastActivityAt.toISOString()}|${id}`).toString('base64url');
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function decodeActivityCursor(cursor: string): { lastActivityAt: Date; id: string } {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || Number.isNaN(Date.parse(match[1]))) {
    throw invalidCursor();
  }
  return { lastActivityAt: new Date(match[1]), id: match[2] };
}

/** What the conversations service reads and writes; narrow so that a test can hand it fakes. */
export type ConversationStore = Pick<ConversationRepository, 'create' | 'findById' | 'state' | 'findByDirectPair' | 'findByIds' | 'retitle' | 'activityOf'>;
export type MemberStore = Pick<MemberRepository, 'add' | 'membership' | 'list' | 'remove' | 'markRead'>;
export type UserStatuses = Pick<UserDirectory, 'statusesOf'>;

/**
 * Conversations and their members. A caller sees only conversations it belongs to; every other id, in this tenant
 * or another, answers 404 exactly as a missing one does.
 */
export class ConversationsService {
  constructor(
    private readonly transactions: Pick<TenantTransactions, 'run'>,
    private readonly access: Pick<ConversationAccess, 'requireMember'>,
    private readonly conversations: ConversationStore,
    private readonly members: MemberStore,
    private readonly users: UserStatuses,
    private readonly unread: UnreadCounts,
  ) {}

  /** Returns the conversation and whether it was created now (a direct pair asked for again is not). */
  async create(principal: Principal, request: NewConversationRequest): Promise<{ conversation: ConversationView; created: boolean }> {
    const others = [...new Set(request.memberIds.map((id) => id.toLowerCase()))].filter((id) => id !== principal.userId);
    if (request.type === 'direct') {
      if (others.length !== 1 || request.memberIds.length !== 1) {
        throw directPairRequired();
      }
      if (request.title !== undefined && request.title !== null) {
        throw directTitleForbidden();
      }
    } else if (others.length + 1 > MAX_GROUP_MEMBERS) {
      throw conversationFull();
    }
    await this.requireActiveUsers(principal.tenantId, others);
    if (request.type === 'direct') return this.openDirect(principal, others[0]);
    const conversation = await this.transactions.run(principal.tenantId, async () => {
      const created = await this.conversations.create({
        id: randomUUID(), tenantId: principal.tenantId, type: 'group', title: request.title ?? null, directPair: null, createdBy: principal.userId,
      });
      await this.members.add(principal.tenantId, created.id, principal.userId, 'owner');
      for (const userId of others) await this.members.add(principal.tenantId, created.id, userId, 'member');
      return created;
    });
    return { conversation: await this.view(principal, conversation), created: true };
  }

  async get(principal: Principal, id: string): Promise<ConversationView> {
    await this.requireMember(principal, id);
    const conversation = await this.conversations.findById(principal.tenantId, id);
    if (!conversation) throw new NotFoundError('conversation');
    return this.view(principal, conversation);
  }

  async list(principal: Principal, limit: number, cursor?: string): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
    const page = await this.conversations.activityOf(principal.tenantId, principal.userId, limit, cursor === undefined ? undefined : decodeActivityCursor(cursor));
    const records = new Map((await this.conversations.findByIds(principal.tenantId, page.map((item) => item.id))).map((record) => [record.id, record]));
    const unread = await this.unread.unreadCounts(principal.tenantId, principal.userId, page);
    const items = page.flatMap((item) => {
      const record = records.get(item.id);
      return record ? [{
        id: record.id, type: record.type, title: record.title, lastSeq: record.lastSeq, lastMessageAt: record.lastMessageAt,
        unreadCount: unread.get(item.id) ?? 0,
      }] : [];
    });
    const last = page[page.length - 1];
    return { items, nextCursor: page.length === limit && last ? encodeActivityCursor(last.lastActivityAt, last.id) : null };
  }

  async retitle(principal: Principal, id: string, title: string | null): Promise<ConversationView> {
    await this.requireGroup(principal, id);
    const updated = await this.conversations.retitle(principal.tenantId, id, title);
    if (!updated) throw new NotFoundError('conversation');
    return this.view(principal, updated);
  }

  async addMembers(principal: Principal, id: string, userIds: readonly string[]): Promise<ConversationView> {
    await this.requireGroup(principal, id, 'owner');
    const wanted = [...new Set(userIds.map((userId) => userId.toLowerCase()))];
    await this.requireActiveUsers(principal.tenantId, wanted);
    await this.transactions.run(principal.tenantId, async () => {
      const current = new Set((await this.members.list(principal.tenantId, id)).map((member) => member.userId));
      const joining = wanted.filter((userId) => !current.has(userId));
      if (current.size + joining.length > MAX_GROUP_MEMBERS) {
        throw conversationFull();
      }
      for (const userId of joining) await this.members.add(principal.tenantId, id, userId, 'member');
    });
    return this.get(principal, id);
  }

  /** The owner removes anyone but itself; any member may leave. */
  async removeMember(principal: Principal, id: string, userId: string): Promise<void> {
    const callerRole = await this.requireGroup(principal, id);
    const leaving = userId.toLowerCase() === principal.userId;
    if (!leaving && callerRole !== 'owner') throw new ForbiddenError('Only the conversation\'s owner can remove other members.');
    const member = await this.members.membership(principal.tenantId, id, userId);
    if (!member) throw new NotFoundError('member');
    if (member.role === 'owner') {
      throw new ConflictError('The owner cannot leave or be removed; the conversation would have no owner.', { reason: 'owner_required' });
    }
    await this.members.remove(principal.tenantId, id, { id: member.id, userId: userId.toLowerCase() });
  }

  async markRead(principal: Principal, id: string, seq: number): Promise<void> {
    await this.requireMember(principal, id);
    const state = await this.conversations.state(principal.tenantId, id);
    if (!state) throw new NotFoundError('conversation');
    if (seq > state.lastSeq) throw seqBeyondLast(state.lastSeq);
    await this.members.markRead(principal.tenantId, id, principal.userId, seq);
  }

  async receipts(principal: Principal, id: string): Promise<ReceiptView[]> {
    await this.requireMember(principal, id);
    return (await this.members.list(principal.tenantId, id)).map((member) => ({ userId: member.userId, readSeq: member.readSeq }));
  }

  /** The caller's role in the conversation; 404 when it is not a member (whether or not the conversation exists). */
  private requireMember(principal: Principal, conversationId: string): Promise<MemberRole> {
    return this.access.requireMember(principal.tenantId, conversationId, principal.userId);
  }

  private async requireGroup(principal: Principal, id: string, role?: MemberRole): Promise<MemberRole> {
    const callerRole = await this.requireMember(principal, id);
    const state = await this.conversations.state(principal.tenantId, id);
    if (!state) throw new NotFoundError('conversation');
    if (state.type === 'direct') throw directConversationFixed();
    if (role && callerRole !== role) throw new ForbiddenError(`Only the conversation's ${role} can do this.`);
    return callerRole;
  }

  private async openDirect(principal: Principal, otherId: string): Promise<{ conversation: ConversationView; created: boolean }> {
    const directPair = directPairOf(principal.userId, otherId);
    const existing = await this.conversations.findByDirectPair(principal.tenantId, directPair);
    if (existing) return { conversation: await this.view(principal, existing), created: false };
    try {
      const conversation = await this.transactions.run(principal.tenantId, async () => {
        const created = await this.conversations.create({ id: randomUUID(), tenantId: principal.tenantId, type: 'direct', title: null, directPair, createdBy: principal.userId });
        await this.members.add(principal.tenantId, created.id, principal.userId, 'member');
        await this.members.add(principal.tenantId, created.id, otherId, 'member');
        return created;
      });
      return { conversation: await this.view(principal, conversation), created: true };
    } catch (error) {
      // Both users asked at once: the pair's unique index let one in; answer with that one.
      if (!(error instanceof ConflictError)) throw error;
      const winner = await this.conversations.findByDirectPair(principal.tenantId, directPair);
      if (!winner) throw error;
      return { conversation: await this.view(principal, winner), created: false };
    }
  }

  private async requireActiveUsers(tenantId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const found = await this.users.statusesOf(tenantId, userIds);
    const invalid = userIds.filter((id) => found.get(id) !== 'active');
    if (invalid.length > 0) throw new InvalidMemberError(invalid);
  }

  private async view(principal: Principal, conversation: ConversationRecord): Promise<ConversationView> {
    const members = await this.members.list(principal.tenantId, conversation.id);
    return {
      id: conversation.id,
      type: conversation.type,
      title: conversation.title,
      members: members.map((member) => ({ userId: member.userId, role: member.role })),
      lastSeq: conversation.lastSeq,
      createdAt: conversation.createdAt,
    };
  }
}
