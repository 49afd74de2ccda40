export type Role = 'member' | 'tenant_admin' | 'compliance_officer';
export const ROLES: readonly Role[] = ['member', 'tenant_admin', 'compliance_officer'];

/** Who an access token speaks for, once verified and its session found live. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
  sessionId: string;
  tokenId: string;
  /** RFC 8176 methods: ["pwd"] or ["pwd", "otp"]. */
  authenticationMethods: string[];
}

/** Where the access guard leaves the principal on the Fastify request. */
export const PRINCIPAL_KEY = 'principal';

export interface RequestWithPrincipal {
  [PRINCIPAL_KEY]?: Principal;
}
