import { attachmentTable } from './modules/attachments/attachment.table';
import { conversationTable } from './modules/conversations/conversation.table';
import { sessionTable } from './modules/identity/session.table';
import { userTotpTable } from './modules/identity/user-totp.table';
import { userTable } from './modules/identity/user.table';
import { messageTable, messageVersionTable } from './modules/messages/message.table';
import { signingKeyTable } from './platform/auth/signing-key.table';
import { sealedLogKeys, type SealedColumnSource } from './platform/observability/logger';

/**
 * Every table definition with a sealed column. The loggers redact what these seal, under the property and the column
 * name; sealed-tables.spec.ts fails when a table with a sealed column is defined anywhere in src/ and not listed here.
 */
export const SEALED_TABLES: readonly SealedColumnSource[] = [
  userTable,
  sessionTable,
  userTotpTable,
  conversationTable,
  messageTable,
  messageVersionTable,
  attachmentTable,
  signingKeyTable,
];

export const SEALED_LOG_KEYS: readonly string[] = sealedLogKeys(SEALED_TABLES);
