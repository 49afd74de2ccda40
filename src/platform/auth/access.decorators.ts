import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Principal, PRINCIPAL_KEY, RequestWithPrincipal } from './principal';
import type { Permission } from './role-policy';

export const PUBLIC_ROUTE = 'access:public';
export const REQUIRED_PERMISSION = 'access:permission';
export const ALLOWED_DURING_MFA_ENROLMENT = 'access:mfa-enrolment';

/** Answers without an access token. Every other route must name a permission: the guard denies the rest. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Needs a live session whose role holds this permission in policies/roles.json. */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(REQUIRED_PERMISSION, permission), ApiBearerAuth());

/** Still answers while the tenant waits for this user to enrol in MFA (enrolment itself, profile, logout). */
export const AllowedDuringMfaEnrolment = (): MethodDecorator => SetMetadata(ALLOWED_DURING_MFA_ENROLMENT, true);

/** The verified caller of a route that requires a permission. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, execution: ExecutionContext): Principal => {
  const principal = execution.switchToHttp().getRequest<RequestWithPrincipal>()[PRINCIPAL_KEY];
  if (!principal) throw new Error('CurrentPrincipal used on a route without RequirePermission');
  return principal;
});
