import { AppError, ErrorCode, validationFailed } from '../../platform/errors';

/** The messages module's errors, built here only: codes, messages and details are part of the REST contract. */

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was already used for a different request.');
  }
}

/** A path parameter (seq, emoji) written in a form the route does not accept. */
export function invalidParam(field: string, constraint: string, message: string): AppError {
  return validationFailed(message, [{ field, constraints: [constraint] }]);
}

export function invalidIdempotencyKey(maxLength: number): AppError {
  return validationFailed(`Idempotency-Key must be 1 to ${maxLength} printable ASCII characters.`, [
    { field: 'Idempotency-Key', constraints: ['idempotencyKey'] },
  ]);
}

export function searchWithoutWords(): AppError {
  return validationFailed('Search for at least one word.', [{ field: 'q', constraints: ['words'] }]);
}

/** A reply to a seq beyond the conversation's last message. */
export function replyTargetMissing(lastSeq: number): AppError {
  return new AppError(ErrorCode.INVALID_SEQ, 'replyToSeq names a message that does not exist.', { lastSeq });
}

export function messageDeleted(attempt: 'edited' | 'reacted to'): AppError {
  return new AppError(ErrorCode.MESSAGE_DELETED, `A deleted message cannot be ${attempt}.`);
}
