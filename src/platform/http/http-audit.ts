import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, concatMap, from, Observable, throwError } from 'rxjs';
import { AuditDetails, AuditDetailValue, AuditOutcome } from '../audit/audit-event';
import { AuditWriter } from '../audit/audit.writer';
import { contextFromRequest } from '../context/request-context.interceptor';
import { currentContext, PendingRead, runInContext } from '../context/request-context';
import { AppError } from '../errors';
import { ErrorAuditHook } from './error.filter';
import { httpStatusOf } from './error-status';
import { SKIP_HTTP_AUDIT } from './skip-http-audit.decorator';

export const AUDIT_ACTION = 'http:audit-action';
/** Names the audit action of a route, e.g. @AuditAction('user.list'); the default is http.request. */
export const AuditAction = (action: string): MethodDecorator & ClassDecorator => SetMetadata(AUDIT_ACTION, action);

const audited = new WeakSet<FastifyRequest>();

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 404 ? 'denied' : 'failed';
}

function statusOf(error: unknown): number {
  if (error instanceof AppError) return httpStatusOf(error);
  if (error instanceof HttpException) return error.getStatus();
  return 500;
}

function routeOf(request: FastifyRequest): string | undefined {
  return request.routeOptions.url;
}

async function recordRequest(audit: AuditWriter, request: FastifyRequest, status: number, action: string): Promise<void> {
  audited.add(request);
  const record = (): Promise<void> => {
    const context = currentContext();
    // A successful write already committed its own event, naming what it changed; nothing else to record.
    if (status < 400 && context?.writeAudited && context.pendingReads?.length === 0 && context.auditNotes === undefined) return Promise.resolve();
    return audit.record({
      action,
      outcome: outcomeOf(status),
      ...readResource(context?.pendingReads ?? []),
      details: { ...context?.auditNotes, ...readDetails(context?.pendingReads ?? []), method: request.method, route: routeOf(request) ?? 'unmatched', status },
    });
  };
  await (currentContext() ? record() : runInContext(contextFromRequest(request), record));
}

const MAX_IDS_PER_EVENT = 100;

/** The resource a request read, when it read exactly one record. */
function readResource(reads: readonly PendingRead[]): { resourceType?: string; resourceId?: string } {
  const ids = reads.flatMap((read) => read.ids);
  return reads.length > 0 && ids.length === 1 ? { resourceType: reads[0].resourceType, resourceId: ids[0] } : {};
}

/** What the request read, by resource type: `read.user.ids`, `read.user.count`, and the repository's own details. */
function readDetails(reads: readonly PendingRead[]): AuditDetails {
  const details: Record<string, AuditDetailValue> = {};
  for (const read of reads) {
    const prefix = `read.${read.resourceType}`;
    const earlier = (details[`${prefix}.ids`] ?? []) as readonly string[];
    details[`${prefix}.ids`] = [...earlier, ...read.ids].slice(0, MAX_IDS_PER_EVENT);
    details[`${prefix}.count`] = Number(details[`${prefix}.count`] ?? 0) + read.ids.length;
    details[`${prefix}.actions`] = [...new Set([...((details[`${prefix}.actions`] ?? []) as readonly string[]), read.action])];
    for (const [key, value] of Object.entries(read.details ?? {})) details[`${prefix}.${key}`] = value;
  }
  return details;
}

/**
 * Audits every request that reaches a controller, success or not, before its answer leaves. A request whose audit
 * row cannot be written fails (AUDIT_UNAVAILABLE) instead of answering unaudited.
 */
@Injectable()
export class HttpAuditInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector, @Inject(AuditWriter) private readonly audit: AuditWriter) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const targets = [execution.getHandler(), execution.getClass()];
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    if (this.reflector.getAllAndOverride<boolean>(SKIP_HTTP_AUDIT, targets)) {
      audited.add(request);
      return next.handle();
    }
    const action = this.reflector.getAllAndOverride<string>(AUDIT_ACTION, targets) ?? 'http.request';
    const reply = execution.switchToHttp().getResponse<FastifyReply>();
    const context = currentContext();
    if (context) context.pendingReads = [];
    return next.handle().pipe(
      concatMap((body: unknown) => from(recordRequest(this.audit, request, reply.statusCode, action).then(() => body))),
      catchError((error: unknown) => {
        if (audited.has(request)) return throwError(() => error);
        return from(recordRequest(this.audit, request, statusOf(error), action).then(() => { throw error; }));
      }),
    );
  }
}

/** For errors raised before the interceptor runs (guards): the error filter records them through this hook. */
@Injectable()
export class HttpErrorAuditHook implements ErrorAuditHook {
  constructor(@Inject(AuditWriter) private readonly audit: AuditWriter) {}

  async onError(request: FastifyRequest, status: number): Promise<void> {
    if (audited.has(request) || routeOf(request) === undefined) return;
    await recordRequest(this.audit, request, status, 'http.request');
  }
}
