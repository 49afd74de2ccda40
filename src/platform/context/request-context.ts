import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export type ActorType = 'user' | 'system' | 'cli' | 'anonymous';

export interface Actor {
  type: ActorType;
  /** A user id, a job name, or a keyed hash for an unknown principal; never an email. */
  id?: string;
}

/** Who is acting, for which tenant, through which request: read by repositories and the audit writer. */
export interface RequestContext {
  requestId: string;
  actor: Actor;
  /** Absent until the request is bound to a tenant (for example before login). */
  tenantId?: string;
  ip?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runInContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function cliContext(command: string): RequestContext {
  return { requestId: randomUUID(), actor: { type: 'cli', id: command } };
}
