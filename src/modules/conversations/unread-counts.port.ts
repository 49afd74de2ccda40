/** A conversation of the caller's list and the caller's read pointer in it. */
export interface ReadPointer {
  id: string;
  readSeq: number;
}

/**
 * The conversation list shows unread counts, but messages are the messages module's, and that module depends on
 * this one (for membership): so this module names what it needs and the messages module provides it.
 */
export interface UnreadCounts {
  /** Per conversation, the messages after the read pointer not sent by the user. */
  unreadCounts(tenantId: string, userId: string, pointers: readonly ReadPointer[]): Promise<Map<string, number>>;
}

export const UNREAD_COUNTS = Symbol('UnreadCounts');
