import { randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { TenantTransactions, TenantTx } from '../../platform/database/tenant-transactions';
import { AppError, ConflictError, ErrorCode } from '../../platform/errors';
import { Counter } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationAccess } from './conversation-access';
import { ActivityCursor, ConversationActivity, NewConversation } from './conversation.repository';
import { ConversationRecord, MAX_GROUP_MEMBERS, MemberRecord, MemberRole } from './conversation.table';
import { ConversationsService, ConversationStore, MemberStore, UserStatuses } from './conversations.service';
import { ReadPointer, UnreadCounts } from './unread-counts.port';

const TENANT = randomUUID();

function principal(userId: string, role: Principal['role'] = 'member'): Principal {
  return { userId, tenantId: TENANT, role, sessionId: randomUUID(), tokenId: randomUUID(), authenticationMethods: ['pwd'] };
}

class FakeTransactions implements Pick<TenantTransactions, 'run'> {
  run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    return work({ tenantId, query: () => Promise.reject(new Error('no database in a unit test')), onCommit: () => undefined });
  }
}

/** Conversations and members in memory, one tenant; `raceOnDirectPair` plays the other user creating the pair first. */
class FakeConversationStore implements ConversationStore, MemberStore {
  readonly conversations = new Map<string, ConversationRecord>();
  readonly members: MemberRecord[] = [];
  raceOnDirectPair: ConversationRecord | null = null;

  async create(conversation: NewConversation): Promise<ConversationRecord> {
    if (conversation.directPair !== null && this.raceOnDirectPair) {
      this.conversations.set(this.raceOnDirectPair.id, this.raceOnDirectPair);
      throw new ConflictError('duplicate direct pair');
    }
    const now = new Date();
    const record: ConversationRecord = { ...conversation, lastSeq: 0, lastMessageAt: null, lastActivityAt: now, createdAt: now, updatedAt: now };
    this.conversations.set(record.id, record);
    return record;
  }

  async findById(_tenantId: string, id: string): Promise<ConversationRecord | null> {
    return this.conversations.get(id) ?? null;
  }

  async state(_tenantId: string, id: string): Promise<Pick<ConversationRecord, 'id' | 'type' | 'lastSeq'> | null> {
    return this.conversations.get(id) ?? null;
  }

  seqCounter(id: string): Counter {
    return { table: 'conversation', id, column: 'last_seq' };
  }

  async findByDirectPair(_tenantId: string, directPair: string): Promise<ConversationRecord | null> {
    return [...this.conversations.values()].find((conversation) => conversation.directPair === directPair) ?? null;
  }

  async findByIds(_tenantId: string, ids: readonly string[]): Promise<ConversationRecord[]> {
    return ids.flatMap((id) => this.conversations.get(id) ?? []);
  }

  async retitle(_tenantId: string, id: string, title: string | null): Promise<ConversationRecord | null> {
    const conversation = this.conversations.get(id);
    if (!conversation) return null;
    conversation.title = title;
    return conversation;
  }

  async activityOf(_tenantId: string, userId: string, limit: number, after?: ActivityCursor): Promise<ConversationActivity[]> {
    return this.members.filter((member) => member.userId === userId)
      .map((member) => ({ id: member.conversationId, lastActivityAt: this.conversations.get(member.conversationId)?.lastActivityAt ?? new Date(0), readSeq: member.readSeq }))
      .filter((item) => !after || item.id < after.id)
      .sort((a, b) => b.id.localeCompare(a.id))
      .slice(0, limit);
  }

  async add(tenantId: string, conversationId: string, userId: string, role: MemberRole): Promise<MemberRecord> {
    const member = { id: randomUUID(), tenantId, conversationId, userId, role, readSeq: 0, joinedAt: new Date(), updatedAt: new Date() };
    this.members.push(member);
    return member;
  }

  async membership(_tenantId: string, conversationId: string, userId: string): Promise<Pick<MemberRecord, 'id' | 'role' | 'readSeq'> | null> {
    return this.members.find((member) => member.conversationId === conversationId && member.userId === userId) ?? null;
  }

  async conversationsOf(_tenantId: string, userId: string): Promise<string[]> {
    return this.members.filter((member) => member.userId === userId).map((member) => member.conversationId);
  }

  async list(_tenantId: string, conversationId: string): Promise<Pick<MemberRecord, 'id' | 'userId' | 'role' | 'readSeq'>[]> {
    return this.members.filter((member) => member.conversationId === conversationId);
  }

  async remove(_tenantId: string, _conversationId: string, member: Pick<MemberRecord, 'id' | 'userId'>): Promise<boolean> {
    const index = this.members.findIndex((candidate) => candidate.id === member.id);
    if (index >= 0) this.members.splice(index, 1);
    return index >= 0;
  }

  async markRead(_tenantId: string, conversationId: string, userId: string, seq: number): Promise<boolean> {
    const member = this.members.find((candidate) => candidate.conversationId === conversationId && candidate.userId === userId);
    if (!member || member.readSeq >= seq) return false;
    member.readSeq = seq;
    return true;
  }
}

/** Every user named is active unless listed as disabled; ids it was never told of are absent (not of this tenant). */
class FakeUserStatuses implements UserStatuses {
  readonly known = new Set<string>();
  readonly disabled = new Set<string>();

  async statusesOf(_tenantId: string, userIds: readonly string[]): Promise<Map<string, 'active' | 'disabled'>> {
    return new Map(userIds.filter((id) => this.known.has(id)).map((id) => [id, this.disabled.has(id) ? 'disabled' : 'active']));
  }

  newUser(): string {
    const id = randomUUID();
    this.known.add(id);
    return id;
  }
}

class FakeUnreadCounts implements UnreadCounts {
  readonly asked: ReadPointer[][] = [];

  async unreadCounts(_tenantId: string, _userId: string, pointers: readonly ReadPointer[]): Promise<Map<string, number>> {
    this.asked.push([...pointers]);
    return new Map(pointers.map((pointer, index) => [pointer.id, index + 1]));
  }
}

function setup() {
  const store = new FakeConversationStore();
  const users = new FakeUserStatuses();
  const unread = new FakeUnreadCounts();
  const service = new ConversationsService(new FakeTransactions(), new ConversationAccess(store, store), store, store, users, unread);
  return { store, users, unread, service };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('ConversationsService', () => {
  describe('a direct conversation', () => {
    it('is created once per pair: asked for again, by either member, the same one answers with created false', async () => {
      const { users, service } = setup();
      const [alice, bob] = [users.newUser(), users.newUser()];
      const first = await service.create(principal(alice), { type: 'direct', memberIds: [bob] });
      const again = await service.create(principal(bob), { type: 'direct', memberIds: [alice.toUpperCase()] });
      expect(first.created).toBe(true);
      expect(again).toEqual({ conversation: first.conversation, created: false });
      expect(first.conversation.members.map((member) => member.userId).sort()).toEqual([alice, bob].sort());
    });

    it('answers with the winner when both users create the pair at once (the unique index refuses the second)', async () => {
      const { store, users, service } = setup();
      const [alice, bob] = [users.newUser(), users.newUser()];
      const at = new Date();
      const winner: ConversationRecord = {
        id: randomUUID(), tenantId: TENANT, type: 'direct', title: null, directPair: [alice, bob].sort().join(':'), createdBy: bob,
        lastSeq: 0, lastMessageAt: null, lastActivityAt: at, createdAt: at, updatedAt: at,
      };
      store.raceOnDirectPair = winner;
      const answer = await service.create(principal(alice), { type: 'direct', memberIds: [bob] });
      expect(answer.created).toBe(false);
      expect(answer.conversation.id).toBe(winner.id);
    });

    it('has exactly one other member and no title', async () => {
      const { users, service } = setup();
      const [alice, bob, carol] = [users.newUser(), users.newUser(), users.newUser()];
      expect((await rejection(service.create(principal(alice), { type: 'direct', memberIds: [bob, carol] }))).code).toBe(ErrorCode.VALIDATION_FAILED);
      expect((await rejection(service.create(principal(alice), { type: 'direct', memberIds: [bob], title: 'Ward 4' }))).code).toBe(ErrorCode.VALIDATION_FAILED);
    });
  });

  it('refuses members who are disabled or not of the tenant, naming them', async () => {
    const { users, service } = setup();
    const [alice, bob, carol] = [users.newUser(), users.newUser(), users.newUser()];
    users.disabled.add(carol);
    const stranger = randomUUID();
    const error = await rejection(service.create(principal(alice), { type: 'group', memberIds: [bob, carol, stranger], title: 'Ward 4' }));
    expect(error.code).toBe(ErrorCode.INVALID_MEMBER);
    expect(error.details).toEqual({ userIds: [carol, stranger] });
  });

  describe(`a group holds at most ${MAX_GROUP_MEMBERS} members, its owner included`, () => {
    it(`creates a group of exactly ${MAX_GROUP_MEMBERS} and refuses one more with CONVERSATION_FULL`, async () => {
      const { users, service } = setup();
      const owner = users.newUser();
      const others = Array.from({ length: MAX_GROUP_MEMBERS }, () => users.newUser());
      const full = await service.create(principal(owner), { type: 'group', memberIds: others.slice(1), title: null });
      expect(full.conversation.members).toHaveLength(MAX_GROUP_MEMBERS);
      const error = await rejection(service.create(principal(owner), { type: 'group', memberIds: others, title: null }));
      expect(error.code).toBe(ErrorCode.CONVERSATION_FULL);
      expect(error.details).toEqual({ max: MAX_GROUP_MEMBERS });
    });

    it('refuses adding members beyond the limit, counting those already in and ignoring repeats', async () => {
      const { users, service } = setup();
      const owner = users.newUser();
      const first = Array.from({ length: MAX_GROUP_MEMBERS - 2 }, () => users.newUser());
      const { conversation } = await service.create(principal(owner), { type: 'group', memberIds: first, title: null });
      const [last, oneTooMany] = [users.newUser(), users.newUser()];
      const added = await service.addMembers(principal(owner), conversation.id, [first[0], last, last]);
      expect(added.members).toHaveLength(MAX_GROUP_MEMBERS);
      expect((await rejection(service.addMembers(principal(owner), conversation.id, [oneTooMany]))).code).toBe(ErrorCode.CONVERSATION_FULL);
    });
  });

  it('lets only the owner add members', async () => {
    const { users, service } = setup();
    const [owner, member, newcomer] = [users.newUser(), users.newUser(), users.newUser()];
    const { conversation } = await service.create(principal(owner), { type: 'group', memberIds: [member], title: null });
    const error = await rejection(service.addMembers(principal(member, 'tenant_admin'), conversation.id, [newcomer]));
    expect(error.code).toBe(ErrorCode.FORBIDDEN);
    expect((await service.addMembers(principal(owner), conversation.id, [newcomer])).members.map((m) => m.userId)).toContain(newcomer);
  });

  it('refuses member changes on a direct conversation', async () => {
    const { users, service } = setup();
    const [alice, bob, carol] = [users.newUser(), users.newUser(), users.newUser()];
    const { conversation } = await service.create(principal(alice), { type: 'direct', memberIds: [bob] });
    expect((await rejection(service.addMembers(principal(alice), conversation.id, [carol]))).code).toBe(ErrorCode.DIRECT_CONVERSATION_FIXED);
  });

  it('answers 404 to a non-member, as for a conversation that does not exist', async () => {
    const { users, service } = setup();
    const [owner, member, outsider] = [users.newUser(), users.newUser(), users.newUser()];
    const { conversation } = await service.create(principal(owner), { type: 'group', memberIds: [member], title: 'Ward 4' });
    const foreign = await rejection(service.get(principal(outsider), conversation.id));
    const missing = await rejection(service.get(principal(outsider), randomUUID()));
    expect(foreign.code).toBe(ErrorCode.NOT_FOUND);
    expect({ ...foreign, stack: undefined }).toEqual({ ...missing, stack: undefined });
    expect((await rejection(service.receipts(principal(outsider), conversation.id))).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('lets any member leave, but only the owner remove others, and never the owner', async () => {
    const { users, service } = setup();
    const [owner, alice, bob] = [users.newUser(), users.newUser(), users.newUser()];
    const { conversation } = await service.create(principal(owner), { type: 'group', memberIds: [alice, bob], title: null });
    expect((await rejection(service.removeMember(principal(alice), conversation.id, bob))).code).toBe(ErrorCode.FORBIDDEN);
    await service.removeMember(principal(alice), conversation.id, alice);
    expect((await rejection(service.removeMember(principal(owner), conversation.id, owner))).code).toBe(ErrorCode.CONFLICT);
    await service.removeMember(principal(owner), conversation.id, bob);
    expect((await service.get(principal(owner), conversation.id)).members.map((m) => m.userId)).toEqual([owner]);
  });

  it('lists the caller\'s conversations with the unread counts the messages module counts from each read pointer', async () => {
    const { users, unread, service } = setup();
    const [alice, bob, carol] = [users.newUser(), users.newUser(), users.newUser()];
    const one = await service.create(principal(alice), { type: 'direct', memberIds: [bob] });
    const two = await service.create(principal(alice), { type: 'direct', memberIds: [carol] });
    const { items } = await service.list(principal(alice), 10);
    expect(unread.asked).toEqual([items.map((item) => ({ id: item.id, lastActivityAt: expect.any(Date) as Date, readSeq: 0 }))]);
    expect(new Map(items.map((item) => [item.id, item.unreadCount]))).toEqual(new Map(items.map((item, index) => [item.id, index + 1])));
    expect(items.map((item) => item.id).sort()).toEqual([one.conversation.id, two.conversation.id].sort());
  });
});
