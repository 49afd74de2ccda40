// The messages module's public surface: other modules import from here, never from the files behind it.
export { MessagesModule } from './messages.module';
