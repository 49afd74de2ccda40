import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { PRINCIPAL_KEY, RequestWithPrincipal } from '../auth/principal';
import { RequestContext, runInContext } from './request-context';

/** Who is calling, from where, through which request id: what every audit row of this request records. */
export function contextFromRequest(request: FastifyRequest & RequestWithPrincipal): RequestContext {
  const userAgent = request.headers['user-agent'];
  const principal = request[PRINCIPAL_KEY];
  return {
    requestId: String(request.id),
    actor: principal ? { type: 'user', id: principal.userId } : { type: 'anonymous' },
    ...(principal ? { tenantId: principal.tenantId } : {}),
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
  };
}

/** Runs the rest of the request (interceptors, pipes, handler) inside its request context. Registered first. */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const context = contextFromRequest(execution.switchToHttp().getRequest<FastifyRequest>());
    return new Observable((subscriber) => runInContext(context, () => next.handle().subscribe(subscriber)));
  }
}
