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
  /** Ids and reasons a handler adds to this request's audit event (for example why a login was refused). */
  auditNotes?: Record<string, string>;
  /**
   * Present when this request's own audit event will be written before it is answered: reads of PHI are then
   * named in that one event instead of one event per read.
   */
  pendingReads?: PendingRead[];
  /**
   * A write of this request committed together with its own audit event (ids, actor, request id): a request that
   * read nothing besides needs no second event.
   */
  writeAudited?: boolean;
}

/** A read of sealed data waiting to be named in its request's audit event. */
export interface PendingRead {
  tenantId: string;
  action: string;
  resourceType: string;
  ids: string[];
  details?: Readonly<Record<string, string | number | boolean | null | readonly string[] | readonly number[]>>;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runInContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Binds the rest of this request to a caller identified inside the handler (login, refresh), so that its
 * repositories are scoped to that tenant and its audit event names that actor.
 */
export function bindCaller(actor: Actor, tenantId?: string): void {
  const context = storage.getStore();
  if (!context) throw new Error('bindCaller outside a request context');
  if (context.tenantId !== undefined && tenantId !== undefined && context.tenantId !== tenantId) {
    throw new Error('a request context is bound to one tenant');
  }
  context.actor = actor;
  if (tenantId !== undefined) context.tenantId = tenantId;
}

/** Adds ids or reason codes (never PHI) to this request's audit event. */
export function annotateAudit(notes: Record<string, string>): void {
  const context = storage.getStore();
  if (context) context.auditNotes = { ...context.auditNotes, ...notes };
}

/**
 * Work the service does for itself in the middle of a request (loading its signing keys): outside the caller's
 * tenant scope, and audited as the system rather than as the caller.
 */
export function runAsSystem<T>(job: string, work: () => T): T {
  return storage.run({ requestId: currentContext()?.requestId ?? randomUUID(), actor: { type: 'system', id: job } }, work);
}

export function cliContext(command: string): RequestContext {
  return { requestId: randomUUID(), actor: { type: 'cli', id: command } };
}
