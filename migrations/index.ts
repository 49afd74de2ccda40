import { Foundation1763900000000 } from './1763900000000-foundation';

/** Every migration, in order. Append-only once landed. */
export const migrations = [Foundation1763900000000];
