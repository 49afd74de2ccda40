import { attachmentsLogRedaction } from './modules/attachments';
import { conversationsLogRedaction } from './modules/conversations';
import { identityLogRedaction } from './modules/identity';
import { messagesLogRedaction } from './modules/messages';
import { signingKeyTable } from './platform/auth/signing-key.table';
import { sealedLogKeys } from './platform/observability/logger';

/**
 * The names every sealed column goes by, as each module publishes them from its own tables (which stay private to
 * it). The loggers redact them; sealed-tables.spec.ts fails when a sealed column defined anywhere in src/ is not
 * covered here.
 */
export const SEALED_LOG_KEYS: readonly string[] = [...new Set([
  ...identityLogRedaction,
  ...conversationsLogRedaction,
  ...messagesLogRedaction,
  ...attachmentsLogRedaction,
  ...sealedLogKeys([signingKeyTable]),
])].sort();
