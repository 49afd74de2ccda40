import { reviewable, RecordingKit } from '../../platform/persistence/testing/recording-kit';
import { ConversationAccess } from '../conversations';
import { MessageRepository, ReactionRepository } from './message.repository';

// A diff in these snapshots changes the SQL of the hottest statements: review it as a query change (plan, indexes,
// tenant predicate, round trips).
const TENANT = '11111111-1111-4111-8111-111111111111';
const CONVERSATION = '22222222-2222-4222-8222-222222222222';
const OTHER_CONVERSATION = '33333333-3333-4333-8333-333333333333';
const SENDER = '44444444-4444-4444-8444-444444444444';
const MESSAGE = '55555555-5555-4555-8555-555555555555';
const SENT_AT = new Date('2026-01-02T03:04:05.678Z');

describe('message statements', () => {
  it('send: the message, its seq draw, its audit event and its outbox event are one statement', async () => {
    const recording = new RecordingKit();
    const counter = ConversationAccess.over(recording.kit).seqCounter(CONVERSATION, SENDER, SENT_AT);
    await new MessageRepository(recording.kit).create({
      id: MESSAGE, tenantId: TENANT, conversationId: CONVERSATION, senderId: SENDER, body: 'BP 120/80, recheck at noon', replyToSeq: null, createdAt: SENT_AT,
    }, counter);
    expect(recording.statements).toHaveLength(1);
    expect(reviewable(recording.statements[0])).toMatchSnapshot();
  });

  it('page: a window of seqs, oldest first', async () => {
    const recording = new RecordingKit();
    await new MessageRepository(recording.kit).window(TENANT, CONVERSATION, { afterSeq: 10, limit: 50, newestFirst: false });
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });

  it('page: the newest window before a seq', async () => {
    const recording = new RecordingKit();
    await new MessageRepository(recording.kit).window(TENANT, CONVERSATION, { beforeSeq: 200, limit: 50, newestFirst: true });
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });

  it('search: every query word through the blind tokens in the message row', async () => {
    const recording = new RecordingKit();
    await new MessageRepository(recording.kit).search(TENANT, [CONVERSATION, OTHER_CONVERSATION], 'blood pressure', 20);
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });

  it('reaction counts: per message and emoji, with whether the user reacted', async () => {
    const recording = new RecordingKit();
    await new ReactionRepository(recording.kit).counts(TENANT, SENDER, [MESSAGE]);
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });

  it('unread counts: after each read pointer, not the user\'s own', async () => {
    const recording = new RecordingKit();
    await new MessageRepository(recording.kit).unreadCounts(TENANT, SENDER, [{ id: CONVERSATION, readSeq: 7 }, { id: OTHER_CONVERSATION, readSeq: 0 }]);
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });
});
