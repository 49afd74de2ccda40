import { Foundation1763900000000 } from './1763900000000-foundation';
import { Identity1764000000000 } from './1764000000000-identity';
import { Messaging1764100000000 } from './1764100000000-messaging';
import { Jobs1764210000000 } from './1764210000000-jobs';
import { ForceTenantRls1764300000000 } from './1764300000000-force-tenant-rls';

/** Every migration, in order. Append-only once landed. */
export const migrations = [Foundation1763900000000, Identity1764000000000, Messaging1764100000000, Jobs1764210000000, ForceTenantRls1764300000000];
