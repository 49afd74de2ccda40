import { reviewable, RecordingKit } from '../../platform/persistence/testing/recording-kit';
import { ConversationRepository } from './conversation.repository';

// A diff in these snapshots changes the SQL of the conversation list: review it as a query change.
const TENANT = '11111111-1111-4111-8111-111111111111';
const USER = '44444444-4444-4444-8444-444444444444';
const CONVERSATION = '22222222-2222-4222-8222-222222222222';

describe('conversation list statements', () => {
  it('list: the first page of the caller\'s conversations by activity', async () => {
    const recording = new RecordingKit();
    await new ConversationRepository(recording.kit).activityOf(TENANT, USER, 50);
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });

  it('list: the page after a cursor', async () => {
    const recording = new RecordingKit();
    await new ConversationRepository(recording.kit).activityOf(TENANT, USER, 50, { lastActivityAt: new Date('2026-01-02T03:04:05.678Z'), id: CONVERSATION });
    expect(recording.statements.map(reviewable)).toMatchSnapshot();
  });
});
