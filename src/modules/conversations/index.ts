// The conversations module's public surface: other modules import from here, never from the files behind it.
import { sealedLogKeys } from '../../platform/observability/logger';
import { conversationTable } from './conversation.table';
export { ConversationsModule } from './conversations.module';
export type { ConversationsModuleOptions } from './conversations.module';
export { ConversationAccessModule } from './conversation-access.module';
export { ConversationAccess } from './conversation-access';
export { UNREAD_COUNTS } from './unread-counts.port';
export type { ReadPointer, UnreadCounts } from './unread-counts.port';
export { conversationChannel } from './conversation.table';
export type { MemberRole } from './conversation.table';

/** The names its sealed columns go by (property and column): the loggers redact them wherever they appear. */
export const conversationsLogRedaction: readonly string[] = sealedLogKeys([conversationTable]);
