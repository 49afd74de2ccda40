// The messages module's public surface: other modules import from here, never from the files behind it.
import { sealedLogKeys } from '../../platform/observability/logger';
import { messageTable, messageVersionTable } from './message.table';
export { MessagesModule } from './messages.module';

/** The names its sealed columns go by (property and column): the loggers redact them wherever they appear. */
export const messagesLogRedaction: readonly string[] = sealedLogKeys([messageTable, messageVersionTable]);
