// The conversations module's public surface: other modules import from here, never from the files behind it.
export { ConversationsModule } from './conversations.module';
export type { ConversationsModuleOptions } from './conversations.module';
export { ConversationAccessModule } from './conversation-access.module';
export { ConversationAccess } from './conversation-access';
export { UNREAD_COUNTS } from './unread-counts.port';
export type { ReadPointer, UnreadCounts } from './unread-counts.port';
export { conversationChannel } from './conversation.table';
export type { MemberRole } from './conversation.table';
