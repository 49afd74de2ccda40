import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { RolePolicy } from '../../platform/auth/role-policy';
import { TenantKeys, VersionedKey } from '../../platform/crypto/tenant-keys';
import { TenantTransactions, TenantTx } from '../../platform/database/tenant-transactions';
import { AppError, ErrorCode } from '../../platform/errors';
import { Counter } from '../../platform/persistence/tenant-scoped.repository';
import { ConversationAccess } from '../conversations';
import { IdempotencyClaim, IdempotencyOutcome } from './idempotency.repository';
import { NewMessage, ReactionCount } from './message.repository';
import { MessageRecord, MessageVersionRecord } from './message.table';
import { IdempotencyStore, MessageAttachments, MessagesService, MessageStore, ReactionStore, VersionStore } from './messages.service';

const TENANT = randomUUID();
const INDEX_KEY: VersionedKey = { version: 1, key: createSecretKey(randomBytes(32)) };

function principal(userId: string, role: Principal['role'] = 'member'): Principal {
  return { userId, tenantId: TENANT, role, sessionId: randomUUID(), tokenId: randomUUID(), authenticationMethods: ['pwd'] };
}

class FakeTransactions implements Pick<TenantTransactions, 'run'> {
  run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    return work({ tenantId, query: () => Promise.reject(new Error('no database in a unit test')), onCommit: () => undefined });
  }
}

class FakeKeys implements Pick<TenantKeys, 'current'> {
  async current(): Promise<VersionedKey> {
    return INDEX_KEY;
  }
}

/** What ConversationAccess reads: who is in which conversation, and each conversation's last seq. */
class FakeConversationFacts {
  readonly members = new Map<string, Set<string>>();
  readonly lastSeqs = new Map<string, number>();

  conversationWith(...userIds: string[]): string {
    const id = randomUUID();
    this.members.set(id, new Set(userIds));
    this.lastSeqs.set(id, 0);
    return id;
  }

  async state(_tenantId: string, id: string): Promise<{ id: string; type: 'group'; lastSeq: number } | null> {
    const lastSeq = this.lastSeqs.get(id);
    return lastSeq === undefined ? null : { id, type: 'group', lastSeq };
  }

  seqCounter(id: string, senderId: string): Counter {
    return { table: 'conversation', id, column: 'last_seq', onlyIfExists: { table: 'conversation_member', where: { conversation_id: id, user_id: senderId } } };
  }

  async membership(_tenantId: string, conversationId: string, userId: string): Promise<{ id: string; role: 'member'; readSeq: number } | null> {
    return this.members.get(conversationId)?.has(userId) ? { id: `${conversationId}:${userId}`, role: 'member', readSeq: 0 } : null;
  }

  async conversationsOf(_tenantId: string, userId: string): Promise<string[]> {
    return [...this.members].filter(([, userIds]) => userIds.has(userId)).map(([id]) => id);
  }
}

/** Messages in memory; the seq is drawn as the real counter draws it: only when the sender is a member. */
class FakeMessages implements MessageStore {
  readonly rows: MessageRecord[] = [];

  constructor(private readonly facts: FakeConversationFacts) {}

  async create(message: NewMessage, counter: Counter): Promise<MessageRecord | null> {
    const senderId = counter.onlyIfExists?.where.user_id;
    if (!this.facts.members.get(counter.id)?.has(String(senderId))) return null;
    const seq = (this.facts.lastSeqs.get(counter.id) ?? 0) + 1;
    this.facts.lastSeqs.set(counter.id, seq);
    const record: MessageRecord = { ...message, seq, editedAt: null, deletedAt: null };
    this.rows.push(record);
    return record;
  }

  async findById(_tenantId: string, id: string): Promise<MessageRecord | null> {
    return this.rows.find((row) => row.id === id) ?? null;
  }

  async findBySeq(_tenantId: string, conversationId: string, seq: number): Promise<MessageRecord | null> {
    return this.rows.find((row) => row.conversationId === conversationId && row.seq === seq) ?? null;
  }

  async stateOf(tenantId: string, conversationId: string, seq: number): Promise<MessageRecord | null> {
    return this.findBySeq(tenantId, conversationId, seq);
  }

  async window(_tenantId: string, conversationId: string, window: { limit: number }): Promise<MessageRecord[]> {
    return this.rows.filter((row) => row.conversationId === conversationId).slice(0, window.limit);
  }

  async existsBeyond(): Promise<boolean> {
    return false;
  }

  async search(_tenantId: string, conversationIds: readonly string[], query: string): Promise<MessageRecord[]> {
    return this.rows.filter((row) => conversationIds.includes(row.conversationId) && row.body?.includes(query));
  }

  async edit(message: Pick<MessageRecord, 'id'>, body: string, at: Date): Promise<MessageRecord | null> {
    const row = this.rows.find((candidate) => candidate.id === message.id);
    if (!row) return null;
    Object.assign(row, { body, editedAt: at });
    return row;
  }

  async tombstone(message: Pick<MessageRecord, 'id'>, at: Date): Promise<MessageRecord | null> {
    const row = this.rows.find((candidate) => candidate.id === message.id);
    if (!row) return null;
    Object.assign(row, { body: null, deletedAt: at });
    return row;
  }
}

class FakeVersions implements VersionStore {
  readonly rows: MessageVersionRecord[] = [];

  async keep(tenantId: string, messageId: string, body: string, replacedAt: Date): Promise<MessageVersionRecord> {
    const version = { id: randomUUID(), tenantId, messageId, body, replacedAt };
    this.rows.push(version);
    return version;
  }

  async history(_tenantId: string, messageId: string): Promise<MessageVersionRecord[]> {
    return this.rows.filter((row) => row.messageId === messageId);
  }

  async discard(_tenantId: string, messageId: string): Promise<void> {
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => row.messageId !== messageId));
  }
}

class FakeReactions implements ReactionStore {
  readonly rows: { messageId: string; userId: string; emoji: string }[] = [];

  async add(message: Pick<MessageRecord, 'id'>, userId: string, emoji: string): Promise<void> {
    this.rows.push({ messageId: message.id, userId, emoji });
  }

  async remove(message: Pick<MessageRecord, 'id'>, userId: string, emoji: string): Promise<void> {
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => !(row.messageId === message.id && row.userId === userId && row.emoji === emoji)));
  }

  async discard(_tenantId: string, messageId: string): Promise<void> {
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => row.messageId !== messageId));
  }

  async counts(_tenantId: string, userId: string, messageIds: readonly string[]): Promise<ReactionCount[]> {
    return this.rows.filter((row) => messageIds.includes(row.messageId))
      .map((row) => ({ messageId: row.messageId, emoji: row.emoji, count: 1, mine: row.userId === userId }));
  }
}

/** The key table's rule: one row per user and key hash; the first request's hash decides replay or reuse. */
class FakeIdempotencyKeys implements IdempotencyStore {
  private readonly claims = new Map<string, IdempotencyClaim>();

  async claim(claim: IdempotencyClaim): Promise<IdempotencyOutcome> {
    const key = `${claim.userId}:${claim.keyHash.toString('hex')}`;
    const existing = this.claims.get(key);
    if (!existing) {
      this.claims.set(key, claim);
      return { kind: 'claimed' };
    }
    return existing.requestHash.equals(claim.requestHash) ? { kind: 'replay', resourceId: existing.resourceId } : { kind: 'reused' };
  }
}

class FakeAttachments implements MessageAttachments {
  readonly discardedFor: string[] = [];

  async attachToMessage(): Promise<[]> {
    return [];
  }

  async summariesFor(_tenantId: string, messageIds: readonly string[]): Promise<Map<string, []>> {
    return new Map(messageIds.map((id) => [id, []]));
  }

  async discardForMessage(_tenantId: string, messageId: string): Promise<void> {
    this.discardedFor.push(messageId);
  }
}

function setup() {
  const facts = new FakeConversationFacts();
  const stores = { messages: new FakeMessages(facts), versions: new FakeVersions(), reactions: new FakeReactions(), idempotency: new FakeIdempotencyKeys() };
  const attachments = new FakeAttachments();
  const service = new MessagesService(
    { transactions: new FakeTransactions(), keys: new FakeKeys() }, new ConversationAccess(facts, facts), stores, attachments, RolePolicy.load(),
  );
  return { facts, stores, attachments, service };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('MessagesService', () => {
  const [sender, colleague, admin, outsider] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

  it('answers 404 to a non-member, sending (the seq counter\'s guard refuses the draw) or reading', async () => {
    const { facts, stores, service } = setup();
    const conversationId = facts.conversationWith(sender, colleague);
    expect((await service.send(principal(sender), conversationId, { body: 'one' })).message.seq).toBe(1);
    expect((await service.send(principal(colleague), conversationId, { body: 'two' })).message.seq).toBe(2);
    expect((await rejection(service.send(principal(outsider), conversationId, { body: 'three' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(service.list(principal(outsider), conversationId, { limit: 10 }))).code).toBe(ErrorCode.NOT_FOUND);
    expect(stores.messages.rows.map((row) => row.seq)).toEqual([1, 2]);
  });

  it('refuses a reply to a seq beyond the conversation\'s last', async () => {
    const { facts, service } = setup();
    const conversationId = facts.conversationWith(sender);
    await service.send(principal(sender), conversationId, { body: 'one' });
    const error = await rejection(service.send(principal(sender), conversationId, { body: 'reply', replyToSeq: 2 }));
    expect(error.code).toBe(ErrorCode.INVALID_SEQ);
    expect(error.details).toEqual({ lastSeq: 1 });
  });

  describe('an Idempotency-Key', () => {
    it('replays the first message for the same request, without sending again', async () => {
      const { facts, stores, service } = setup();
      const conversationId = facts.conversationWith(sender);
      const first = await service.send(principal(sender), conversationId, { body: 'dose changed' }, 'key-1');
      const retry = await service.send(principal(sender), conversationId, { body: 'dose changed' }, 'key-1');
      expect(first.replayed).toBe(false);
      expect(retry).toEqual({ message: first.message, replayed: true });
      expect(stores.messages.rows).toHaveLength(1);
    });

    it('refuses the key reused for a different request, and is the caller\'s own (another user may use the same key)', async () => {
      const { facts, stores, service } = setup();
      const conversationId = facts.conversationWith(sender, colleague);
      await service.send(principal(sender), conversationId, { body: 'dose changed' }, 'key-1');
      const error = await rejection(service.send(principal(sender), conversationId, { body: 'another text' }, 'key-1'));
      expect(error.code).toBe(ErrorCode.IDEMPOTENCY_KEY_REUSED);
      expect((await service.send(principal(colleague), conversationId, { body: 'another text' }, 'key-1')).replayed).toBe(false);
      expect(stores.messages.rows.map((row) => row.body)).toEqual(['dose changed', 'another text']);
    });
  });

  describe('editing', () => {
    it('is the sender\'s alone: another member, even an administrator, is refused and the body stays', async () => {
      const { facts, stores, service } = setup();
      const conversationId = facts.conversationWith(sender, admin);
      await service.send(principal(sender), conversationId, { body: 'original' });
      expect((await rejection(service.edit(principal(admin, 'tenant_admin'), conversationId, 1, 'forged'))).code).toBe(ErrorCode.FORBIDDEN);
      expect(stores.messages.rows[0].body).toBe('original');
      expect(stores.versions.rows).toEqual([]);
    });

    it('keeps the replaced body in the history', async () => {
      const { facts, service } = setup();
      const conversationId = facts.conversationWith(sender);
      await service.send(principal(sender), conversationId, { body: 'original' });
      const edited = await service.edit(principal(sender), conversationId, 1, 'corrected');
      expect(edited.body).toBe('corrected');
      expect((await service.history(principal(sender), conversationId, 1)).map((item) => item.body)).toEqual(['original']);
    });

    it('refuses a deleted message', async () => {
      const { facts, service } = setup();
      const conversationId = facts.conversationWith(sender);
      await service.send(principal(sender), conversationId, { body: 'original' });
      await service.delete(principal(sender), conversationId, 1);
      expect((await rejection(service.edit(principal(sender), conversationId, 1, 'again'))).code).toBe(ErrorCode.MESSAGE_DELETED);
    });
  });

  describe('deleting', () => {
    it('is open to a moderator (messaging.moderate): the body, history, reactions and attachments go, the seq stays', async () => {
      const { facts, stores, attachments, service } = setup();
      const conversationId = facts.conversationWith(sender, admin);
      const { message } = await service.send(principal(sender), conversationId, { body: 'original' });
      await service.edit(principal(sender), conversationId, 1, 'corrected');
      await service.react(principal(admin, 'tenant_admin'), conversationId, 1, '👍', true);
      await service.delete(principal(admin, 'tenant_admin'), conversationId, 1);
      expect(stores.messages.rows).toEqual([expect.objectContaining({ id: message.id, seq: 1, body: null, deletedAt: expect.any(Date) as Date })]);
      expect(stores.versions.rows).toEqual([]);
      expect(stores.reactions.rows).toEqual([]);
      expect(attachments.discardedFor).toEqual([message.id]);
    });

    it('is refused to a member who neither sent it nor moderates', async () => {
      const { facts, stores, attachments, service } = setup();
      const conversationId = facts.conversationWith(sender, colleague);
      await service.send(principal(sender), conversationId, { body: 'original' });
      expect((await rejection(service.delete(principal(colleague), conversationId, 1))).code).toBe(ErrorCode.FORBIDDEN);
      expect(stores.messages.rows[0].body).toBe('original');
      expect(attachments.discardedFor).toEqual([]);
    });
  });

  it('searches only the caller\'s conversations', async () => {
    const { facts, service } = setup();
    const mine = facts.conversationWith(sender);
    const theirs = facts.conversationWith(colleague);
    await service.send(principal(sender), mine, { body: 'insulin at noon' });
    await service.send(principal(colleague), theirs, { body: 'insulin at night' });
    expect((await service.search(principal(sender), 'insulin', 10)).map((found) => found.conversationId)).toEqual([mine]);
    expect((await rejection(service.search(principal(sender), 'insulin', 10, theirs))).code).toBe(ErrorCode.NOT_FOUND);
  });
});
