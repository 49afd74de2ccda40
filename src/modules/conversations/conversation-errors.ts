import { AppError, ErrorCode, validationFailed } from '../../platform/errors';
import { MAX_GROUP_MEMBERS } from './conversation.table';

/** The conversations module's errors, built here only: codes, messages and details are part of the REST contract. */

export class InvalidMemberError extends AppError {
  constructor(userIds: readonly string[]) {
    super(ErrorCode.INVALID_MEMBER, 'Every member must be an active user of your organisation.', { userIds });
  }
}

export function conversationFull(): AppError {
  return new AppError(ErrorCode.CONVERSATION_FULL, `A group has at most ${MAX_GROUP_MEMBERS} members.`, { max: MAX_GROUP_MEMBERS });
}

export function invalidCursor(): AppError {
  return validationFailed('The cursor is not one this service issued.', [{ field: 'cursor', constraints: ['cursor'] }]);
}

export function directPairRequired(): AppError {
  return validationFailed('A direct conversation has exactly one other member.', [{ field: 'memberIds', constraints: ['directPair'] }]);
}

export function directTitleForbidden(): AppError {
  return validationFailed('A direct conversation has no title.', [{ field: 'title', constraints: ['directTitle'] }]);
}

export function directConversationFixed(): AppError {
  return new AppError(ErrorCode.DIRECT_CONVERSATION_FIXED, 'A direct conversation has no title and its two members are fixed.');
}

/** A read pointer beyond the conversation's last message. */
export function seqBeyondLast(lastSeq: number): AppError {
  return new AppError(ErrorCode.INVALID_SEQ, 'The seq is beyond the conversation\'s last message.', { lastSeq });
}
