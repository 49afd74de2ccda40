import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError, ErrorCode, ForbiddenError, UnauthenticatedError } from '../errors';
import { ALLOWED_DURING_MFA_ENROLMENT, PUBLIC_ROUTE, REQUIRED_PERMISSION } from './access.decorators';
import { ACCESS_TOKEN_STRATEGY, AccessTokenStrategy, AuthenticatedCaller, bearerToken } from './access-token.strategy';
import { PRINCIPAL_KEY, RequestWithPrincipal } from './principal';
import { Permission, RolePolicy } from './role-policy';

/** passport's outcome as our errors: the envelope, a reason, never jsonwebtoken's message. */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  override handleRequest<TUser = AuthenticatedCaller>(error: unknown, caller: TUser | false, info: unknown): TUser {
    if (error instanceof AppError) throw error;
    if (error || !caller) throw new UnauthenticatedError(info instanceof Error && info.message === 'No auth token' ? 'missing_token' : 'invalid_token');
    return caller;
  }
}

/**
 * Deny by default: a route answers only if it is @Public() or names a permission that the caller's role holds in
 * policies/roles.json, with a live session. Runs before every interceptor, so the request context sees the caller.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: RolePolicy,
    private readonly tokens: AccessTokenGuard,
    private readonly strategy: AccessTokenStrategy,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const targets = [execution.getHandler(), execution.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    if (permission === undefined) throw new ForbiddenError('This route is not open to anyone.');

    const request = execution.switchToHttp().getRequest<RequestWithPrincipal & { user?: AuthenticatedCaller; headers: { authorization?: string } }>();
    const rawToken = bearerToken(request.headers.authorization);
    const known = rawToken ? await this.strategy.fromVerified(rawToken) : null;
    if (known) request.user = known;
    else await this.tokens.canActivate(execution);
    const caller = request.user;
    if (!caller) throw new UnauthenticatedError('invalid_token');
    const { mfaEnrolmentPending, ...principal } = caller;
    request[PRINCIPAL_KEY] = principal;

    if (mfaEnrolmentPending && !this.reflector.get<boolean>(ALLOWED_DURING_MFA_ENROLMENT, execution.getHandler())) {
      throw new ForbiddenError('Your organisation requires multi-factor authentication: enrol a TOTP authenticator first.', ErrorCode.MFA_ENROLMENT_REQUIRED);
    }
    if (!this.policy.allows(principal.role, permission)) throw new ForbiddenError();
    return true;
  }
}
