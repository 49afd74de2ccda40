import { Catch, Inject, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditUnavailableError } from '../errors';
import { toErrorResponse, type ErrorResponse } from './error-envelope';
import { REQUEST_ID_HEADER, requestIdFrom } from './fastify-options';

/** Records a failed or denied request before its answer leaves. A rejection fails the request closed (503). */
export interface ErrorAuditHook {
  onError(request: FastifyRequest, status: number): Promise<void>;
}

export const ERROR_AUDIT_HOOK = Symbol('ErrorAuditHook');

/**
 * The one place an HTTP error becomes an answer: the envelope from toErrorResponse, never a stack or the
 * original message. Register it as APP_FILTER so that the optional ERROR_AUDIT_HOOK is injected.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(@Optional() @Inject(ERROR_AUDIT_HOOK) private readonly auditHook?: ErrorAuditHook) {}

  /** Never rejects: Nest does not handle the rejection of an async filter. */
  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    if (host.getType() !== 'http') {
      this.logger.error({ err: exception, contextType: host.getType() }, 'an error outside HTTP reached the HTTP filter');
      return;
    }
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    try {
      const requestId = typeof request.id === 'string' ? request.id : requestIdFrom(request);
      const response = toErrorResponse(exception, requestId);
      this.logFailure(exception, request, response);
      const answer = await this.auditedAnswer(request, response, requestId);
      send(reply, answer, requestId);
    } catch (failure: unknown) {
      this.logger.error({ err: failure }, 'the error filter failed');
      closeUnanswered(reply);
    }
  }

  private async auditedAnswer(request: FastifyRequest, response: ErrorResponse, requestId: string): Promise<ErrorResponse> {
    if (!this.auditHook) {
      return response;
    }
    try {
      await this.auditHook.onError(request, response.status);
      return response;
    } catch (auditFailure: unknown) {
      this.logger.error({ err: auditFailure, status: response.status }, 'audit of a failed request was not written');
      // A request that already failed on an unavailable service (the database, whose audit table is down with it)
      // keeps that answer: it names the cause, and nothing was done or disclosed either way.
      return response.status === 503 ? response : toErrorResponse(new AuditUnavailableError(), requestId);
    }
  }

  private logFailure(exception: unknown, request: FastifyRequest, { status, body }: ErrorResponse): void {
    // The route template, never the URL: a query string can carry PHI. No body, no headers.
    const context = { status, code: body.error.code, method: request.method, route: request.routeOptions?.url };
    if (status >= 500) {
      this.logger.error({ ...context, err: exception }, 'request failed');
    } else {
      this.logger.debug(context, 'request rejected');
    }
  }
}

function send(reply: FastifyReply, { status, body, headers }: ErrorResponse, requestId: string): void {
  if (reply.sent || reply.raw.headersSent) {
    // Part of the answer already left (a stream failed midway): the connection is all there is to end.
    reply.raw.destroy();
    return;
  }
  if (headers) void reply.headers(headers);
  void reply
    .status(status)
    .header(REQUEST_ID_HEADER, requestId)
    .type('application/json; charset=utf-8')
    .send(body);
}

function closeUnanswered(reply: FastifyReply): void {
  if (!reply.sent) {
    reply.raw.destroy();
  }
}
